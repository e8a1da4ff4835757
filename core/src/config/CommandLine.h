#pragma once

#include <map>
#include <string>
#include <vector>


namespace execd {


class CommandLine
	/// Upstream's flags, in every form Go's flag package accepts ("-port=1",
	/// "--port=1", "-port 1", "--port 1"), plus ours. Each flag becomes a
	/// configuration key, so that flags outrank the environment, which outranks the
	/// properties file, which outranks the built-in defaults.
{
public:
	struct Error
	{
		std::string message;
	};

	CommandLine() = default;

	void parse(const std::vector<std::string>& args);
		/// Throws CommandLine::Error for an unknown flag, a missing or malformed value.
		/// Parsing stops at the first argument that is not a flag, as in Go.

	const std::map<std::string, std::string>& settings() const;
		/// Configuration key -> value, from flags.

	const std::string& configFile() const;
	bool help() const;

	bool init() const;
		/// --init: execd is the sandbox's init and positional() its entrypoint.

	const std::vector<std::string>& positional() const;
		/// The arguments after the flags: the entrypoint with --init; otherwise
		/// execd ignores them (as upstream does).

	static std::map<std::string, std::string> fromEnvironment(const std::map<std::string, std::string>& environment);
		/// Configuration key -> value from upstream's environment variables
		/// (EXECD_ACCESS_TOKEN, JUPYTER_HOST, JUPYTER_TOKEN, EXECD_API_GRACE_SHUTDOWN,
		/// EXECD_JUPYTER_IDLE_POLL_INTERVAL, EXECD_LOG_FILE, OPENSANDBOX_LOG_OUTPUT). Empty values count as
		/// unset. Throws CommandLine::Error for malformed values.

	static std::string usage(const std::string& program);

	static std::vector<std::string> secretFlags();
		/// The flags whose values execd hides (access-token, jupyter-token).
	static std::vector<std::string> secretVariables();
		/// Their environment variables (EXECD_ACCESS_TOKEN, JUPYTER_TOKEN).
	static bool isSecretKey(const std::string& key);
		/// A configuration key that holds a secret: one of those flags' keys, or
		/// any key naming a token (for -D key=value).

private:
	void set(const std::string& flag, const std::string& value);

	std::map<std::string, std::string> _settings;
	std::vector<std::string> _positional;
	std::string _configFile;
	bool _help = false;
	bool _init = false;
};


} // namespace execd
