#pragma once

#include "execd/Core.h"
#include "Poco/Util/AbstractConfiguration.h"
#include <chrono>
#include <string>
#include <vector>


namespace execd {


class EXECD_API ConfigReader
	/// Typed, validated access to one section of the configuration. Every error is
	/// a ConfigurationException that names the full key and the bad value.
{
public:
	ConfigReader(const Poco::Util::AbstractConfiguration& config, std::string prefix);
		/// prefix is the section's name as users write it, e.g. "module.shell";
		/// config is rooted at that section.

	bool has(const std::string& key) const;

	std::string getString(const std::string& key, const std::string& deflt) const;

	int getInt(const std::string& key, int deflt, int min, int max) const;

	Poco::Int64 getInt64(const std::string& key, Poco::Int64 deflt, Poco::Int64 min, Poco::Int64 max) const;

	bool getBool(const std::string& key, bool deflt) const;
		/// true/false, yes/no, on/off, 1/0 (case-insensitive).

	std::chrono::milliseconds getMillis(const std::string& key, std::chrono::milliseconds deflt,
		std::chrono::milliseconds min, std::chrono::milliseconds max) const;
		/// A number of milliseconds, or a Go-style duration ("1s", "500ms", "1m30s").

	std::vector<std::string> getList(const std::string& key, const std::vector<std::string>& deflt) const;
		/// A comma- or space-separated list; empty items are dropped.

	std::string fullKey(const std::string& key) const;

	static Poco::Int64 parseDurationMillis(const std::string& text);
		/// Go duration syntax or a bare integer of milliseconds. Throws
		/// Poco::SyntaxException when malformed; negative values are allowed.

private:
	[[noreturn]] void fail(const std::string& key, const std::string& value, const std::string& why) const;

	const Poco::Util::AbstractConfiguration& _config;
	std::string _prefix;
};


} // namespace execd
