#pragma once

#include "execd/Core.h"
#include "Poco/Dynamic/Var.h"
#include <map>
#include <mutex>
#include <string>


namespace execd {


class EXECD_API Capabilities
	/// What GET /capabilities reports besides the modules and languages: the
	/// bounds of the README's Limits table, by their property key (or, for a
	/// fixed bound, a dotted name of its own), and which optional features are
	/// on. The core and the modules fill it in while they are configured; a
	/// module built outside this tree may add its own.
{
public:
	static Capabilities& instance();

	void setLimit(const std::string& name, const Poco::Dynamic::Var& value);
	void setFeature(const std::string& name, bool enabled);

	std::map<std::string, Poco::Dynamic::Var> limits() const;
	std::map<std::string, bool> features() const;

	void clear();

private:
	Capabilities() = default;

	mutable std::mutex _mutex;
	std::map<std::string, Poco::Dynamic::Var> _limits;
	std::map<std::string, bool> _features;
};


} // namespace execd
