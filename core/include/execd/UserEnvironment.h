#pragma once

#include "execd/Core.h"
#include <map>
#include <string>
#include <vector>


namespace execd {


namespace UserEnvironment
	/// The environment of the processes execd starts for users: commands
	/// (/command, foreground and background), bash sessions and PTY shells.
	/// Layered, each layer winning over the one before:
	///
	///     execd's environment without the reserved names
	///     < the file EXECD_ENVS names (see EnvFile), read at each call
	///     < the caller's extras (a request's envs)
	///
	/// The file's $NAME expansion sees the first layer only. An entry of the file
	/// with a reserved name is ignored with a warning, so that the file cannot put
	/// execd's secrets (or a value posing as them) into a user's process.
	/// Problems with the file are logged as warnings (logger "execd.env") naming
	/// the file and the line, never a value; the same problems of the same file
	/// are logged once, not at every command.
{
	using Variables = std::map<std::string, std::string>;

	EXECD_API bool reserved(const std::string& name);
		/// EXECD_ACCESS_TOKEN, JUPYTER_TOKEN, JUPYTER_HOST, EXECD_ISOLATION_CONFIG,
		/// EXECD_ENVS, OPENSANDBOX_LIFECYCLE, EXECD_LIFECYCLE_CONFIG and
		/// EXECD_RUNTIME_INIT, in any case: execd's own settings and credentials,
		/// as upstream removes them from every user process.

	EXECD_API Variables build(const Variables& extras = {});
		/// The layers above, with the file read now.

	EXECD_API std::vector<std::string> entries(const Variables& extras = {});
		/// build(extras) as "NAME=value" strings, for execve().
}


} // namespace execd
