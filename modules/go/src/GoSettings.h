#pragma once

#include <chrono>
#include <string>


namespace execd {
namespace go {


struct GoSettings
	/// What the go module read from its configuration, shared read-only by its
	/// executor and contexts.
{
	std::string goBinary = "/usr/bin/go";
	std::string workRoot = "/tmp";                    ///< each context's directory is <workRoot>/execd-go-<id>
	std::chrono::milliseconds buildTimeout{120000};
};


} } // namespace execd::go
