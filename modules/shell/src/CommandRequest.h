#pragma once

#include "execd/Http.h"
#include "execd/ResourceLimits.h"
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <sys/types.h>


namespace execd {
namespace shell {


struct CommandRequest
	/// A validated POST /command body.
{
	std::string command;
	std::string cwd;                                 ///< expanded; "" = execd's cwd
	bool background = false;
	std::chrono::milliseconds timeout{0};            ///< 0 = none
	std::optional<uid_t> uid;
	std::optional<gid_t> gid;
	std::map<std::string, std::string> envs;
	bool stdinPipe = false;                          ///< "stdin": true: fed by POST /command/{id}/stdin
	std::string tag;                                 ///< "tag": a label for GET /commands, at most MAX_TAG_BYTES
	ResourceLimits limits;                           ///< "limits": the command runs in a ResourceGroup of its own

	static constexpr std::size_t MAX_TAG_BYTES = 256;

	static CommandRequest fromJson(const JsonBody& body);
		/// Validates as upstream does; throws ApiException 400 with upstream's
		/// messages ("invalid request, validation error ..."), and also for a NUL
		/// byte in the command, cwd or envs (see checkText()).

	static void checkText(const std::string& text, const std::string& what);
		/// Throws ApiException 400 INVALID_REQUEST_BODY "invalid request, validation
		/// error <what> contains a NUL byte" when text has one: exec() would see
		/// the string cut short there and run something else than was asked.
};


struct SessionRunRequest
	/// A validated POST /session/{sessionId}/run body: {"command","cwd"?,"timeout"?}.
{
	std::string command;
	std::string cwd;                                 ///< expanded, an existing directory; "" = the session's
	std::chrono::milliseconds timeout{std::chrono::hours(24)};
		///< "timeout" in ms; absent or 0: a day; capped at a year

	static SessionRunRequest fromJson(const JsonBody& body);
		/// Throws ApiException 400 with upstream's messages ("invalid request. ...").
		/// A NUL byte in the command is the session's to refuse (Session::run).
};


namespace Environment
	/// execd's environment, and path expansion. (A command's environment is
	/// execd::UserEnvironment's.)
{
	std::map<std::string, std::string> current();
		/// execd's own environment.

	std::string expand(const std::string& path, const std::map<std::string, std::string>& env);
		/// ~ and ~/… -> $HOME…; $NAME and ${NAME} -> values. Throws
		/// Poco::NotFoundException listing undefined names.
}


} } // namespace execd::shell
