#pragma once

#include "Session.h"
#include "execd/OutputPump.h"
#include "execd/Process.h"
#include "execd/Subprocess.h"
#include <mutex>
#include <optional>
#include <string>
#include <vector>


namespace execd {
namespace shell {


class ShSession: public Session
	/// A session for images without bash: each run is a new sh (busybox ash,
	/// dash, bash as sh), as upstream keeps sessions, but the state stays with sh:
	/// at its end a run writes `export -p` (with its directory as one more
	/// variable) to a file in the session's private directory, and the next run
	/// sources it before the command, so variables come back byte for byte
	/// whatever they hold and execd never parses them. The command, too, is a file
	/// there that sh sources: neither goes through execve, whose limits (128 KiB a
	/// string) do not apply. Non-exported variables, functions, aliases and
	/// options do not persist; a command that ends sh (exit, or set -e and a
	/// failure) or a stopped run leaves the state as it was. stdout and stderr stay
	/// apart. A timeout, an interrupt or a client that went away freeze and kill
	/// the run's processes; background jobs of earlier runs are left alone until
	/// the session is deleted, which kills them too.
{
public:
	ShSession(std::string id, std::string cwd, std::vector<std::string> env, std::string sh, ResourceGroup::Ptr pGroup = nullptr);
		/// cwd "" is execd's working directory. Throws Poco::SystemException when
		/// the private directory cannot be made.
	~ShSession() override;

	// Session
	Result run(const std::string& command, const std::string& cwd, std::chrono::milliseconds timeout, EventSink& sink,
		bool killOnDisconnect, const std::function<void()>& started, int teeFd) override;
	void terminate() override;

private:
	void makeDirectory();
	bool writeCommand(const std::string& command);
	bool placeCommand(const std::string& command);
		/// writeCommand(), in a new directory if the old one is gone: false then
		/// (the state of earlier runs is lost).
	std::string script(bool restoreDirectory) const;
	void keepJobs(pid_t group);
	void killJobs();
	std::optional<OutputPump::Stop> pump(Subprocess& child, EventSink& sink, std::chrono::milliseconds timeout, bool killOnDisconnect,
		int teeFd, std::uint64_t& outputBytes, bool& teeFailed);
		/// The run's output until sh exits or the run is stopped (a copy into
		/// teeFd, unless -1); why it was stopped (Stop::NONE if it was not),
		/// nothing when poll() failed.

	std::string _start;                  // the directory the session started in
	std::vector<std::string> _env;       // the environment it started with, "NAME=value"
	std::string _sh;
	std::string _directory;              // private, 0700: command, state, state.tmp
	int _directoryFd = -1;
	std::mutex _mutex;                   // guards _pChild, _terminated and _jobs
	Subprocess* _pChild = nullptr;       // the running sh
	bool _terminated = false;
	std::vector<Process::Identity> _jobs;   // left running by earlier runs
};


} } // namespace execd::shell
