#pragma once

#include "ChildProcess.h"
#include "Session.h"
#include <atomic>
#include <mutex>
#include <string>
#include <vector>


namespace execd {
namespace shell {


class ShSession: public Session
	/// A session for images without bash: each run is a new sh (busybox ash,
	/// dash) started with the session's exported variables and directory, as
	/// upstream keeps sessions. After the command, sh writes `export -p` and its
	/// directory to a private state file; they become the session's state for
	/// the next run. Non-exported variables, functions, aliases and options do
	/// not persist; a command that ends sh (exit, or set -e and a failure) leaves
	/// the state as it was. stdout and stderr stay apart. A timeout, an
	/// interrupt or a client that went away freeze and kill the run's processes;
	/// background jobs of earlier runs are left alone.
{
public:
	ShSession(std::string id, std::string cwd, std::vector<std::string> env, std::string sh);
	~ShSession() override;

	// Session
	Result run(const std::string& command, const std::string& cwd, std::chrono::milliseconds timeout, EventSink& sink,
		bool killOnDisconnect, const std::function<void()>& started) override;
	void terminate() override;

	static std::vector<std::string> parseExports(const std::string& text);
		/// The "NAME=value" entries of `export -p` output (ash, dash, and bash in
		/// POSIX mode: single quotes, double quotes, backslashes, $'...');
		/// declarations without a value and lines it cannot read are skipped.

	static constexpr std::size_t MAX_STATE_BYTES = 4 * 1024 * 1024;
		///< a larger state file is not taken (the run says so on stderr)

private:
	bool takeState(EventSink& sink);

	std::string _directory;         // where the next run starts (updated after each run)
	std::vector<std::string> _env;  // its exported variables, "NAME=value"
	std::string _sh;
	std::string _stateDirectory;    // 0700, for the state files
	std::mutex _runMutex;           // held for the whole of a run
	std::mutex _mutex;              // guards _pChild and _terminated
	ChildProcess* _pChild = nullptr;
	bool _terminated = false;
};


} } // namespace execd::shell
