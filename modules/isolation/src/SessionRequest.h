#pragma once

#include "BwrapCommand.h"
#include "execd/Http.h"
#include <optional>
#include <string>
#include <vector>


namespace execd {
namespace isolation {


struct SessionRequest
	/// A POST /v1/isolated/session body, decoded and validated in upstream's order
	/// (contract §2.2): shape and enums (400 INVALID_REQUEST_BODY), then the
	/// extra_writable and binds allowlist (400 RUNTIME_ERROR), then the profile
	/// (400 RUNTIME_ERROR). The uid mode's availability is the caller's (503).
	/// Paths of extra_writable and bind sources are resolved (symlinks followed), as
	/// GET echoes them.
{
	SessionConfig config;          ///< effective values (mode, env, userns, uid/gid defaulted)
	std::string profile = "strict";
	std::string uidMode = "setpriv";
	std::optional<bool> shareNet;  ///< echoed only when given
	std::optional<Poco::Int64> uid;
	std::optional<Poco::Int64> gid;
	bool envModeGiven = false;     ///< keys without a mode are ignored and not echoed
	Poco::Int64 idleTimeoutSeconds = 0;   ///< echoed as given (negative behaves as 0)
	std::vector<SessionConfig::Bind> bindsAsGiven;   ///< dest as given ("" when absent), for the echo

	static SessionRequest parse(const JsonBody& body, const std::vector<std::string>& allowedWritable);
		/// Throws ApiException.

	static std::string resolveAllowed(const std::string& what, const std::string& path, const std::vector<std::string>& allowed);
		/// path with its symlinks resolved, when it exists and lies in (or is) an
		/// allowed directory (themselves resolved). Throws ApiException 400 RUNTIME_ERROR:
		/// `<what> path "<p>": must be an existing path: lstat <p>: ...`, `... not in allowlist`.
};


} } // namespace execd::isolation
