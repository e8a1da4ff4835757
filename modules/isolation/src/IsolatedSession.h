#pragma once

#include "RunScript.h"
#include "SessionRequest.h"
#include "SessionView.h"
#include "execd/Subprocess.h"
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>


namespace execd {
namespace isolation {


class IsolatedSession
	/// One isolated session (contract §3.1): a bwrap child in a process group of its
	/// own, whose shell reads commands from a pipe; stdout and stderr are one pipe.
	/// In overlay mode execd mounts the overlay itself (lower = the workspace, upper
	/// and work in <upper root>/<32 hex>/) and binds the merged view at the
	/// workspace's path: Debian's bwrap 0.8 has no --overlay.
	///
	/// Runs are serialised. A run's timeout (or an abandoned run) stops the job the
	/// run started — SIGINT, then after a grace SIGKILL to every process below the
	/// shell — and the shell, which is kept, reports the status: the session stays
	/// usable (upstream signals the whole group and can lose the session).
{
public:
	struct Paths
	{
		std::string bwrap;
		std::string setpriv;
		std::vector<std::string> shell;   ///< bash --noprofile --norc, or sh
		std::string upperRoot;            ///< overlay mode: where the session's upper lives
		std::string seccomp;              ///< the BPF program (SeccompProgram); "" = none
	};

	static constexpr std::chrono::milliseconds STOP_GRACE{5000};
		/// After a run is stopped (timeout, client gone, overlong line), how long
		/// its shell may take to report; past it the session is ended.

	struct Outcome
	{
		std::optional<int> status;   ///< the code's exit status, once the marker came
		std::string error;           ///< else: why the run failed (RuntimeError's text)
	};

	IsolatedSession(std::string id, SessionRequest request, Paths paths);
	~IsolatedSession();

	void start();
		/// Mounts the overlay (overlay mode) and starts bwrap. Throws Poco::Exception.

	Outcome run(const std::string& code, const std::vector<std::pair<std::string, std::string>>& envs,
		std::chrono::milliseconds timeout, const std::function<bool(const std::string&)>& onLine, int client = -1);
		/// timeout 0 = none. onLine returns false when the client went away, and
		/// client (its socket; -1: none) is watched for a closed connection: the
		/// job is stopped then, as at a timeout.

	bool alive() const;
	void stop();
		/// SIGKILL to the session's group, reaped within 5 s; the overlay unmounted and
		/// its directory removed. Idempotent. Throws Poco::Exception when teardown failed.

	const std::string& id() const;
	const SessionRequest& request() const;
	std::string sessionDirectory() const;   ///< <upper root>/<32 hex>; "" unless overlay

	int workspaceDescriptor() const;
		/// A new descriptor of the host workspace as it was when the session started
		/// (the caller closes it); -1 once stopped.

	SessionView view() const;
		/// The workspace as the file routes see it: the overlay execd mounted, or the
		/// workspace itself; what they create is owned by the session's identity
		/// (setpriv: its uid and gid; userns: execd's own ids, as the namespace maps them).

private:
	void stopJob();
	pid_t shellPid();

	const std::string _id;
	const SessionRequest _request;
	const Paths _paths;
	std::string _directory;   ///< overlay: upper, work, merged
	bool _mounted = false;
	std::timed_mutex _runMutex;   ///< held by a run; teardown waits for it (5 s)
	mutable std::mutex _stateMutex;   ///< _process's state, the descriptors, _directory: runs and file routes against stop()
	Subprocess _process;
	pid_t _shell = -1;         ///< the session's shell (inside: pid 2), found at the first run
	int _workspace = -1;       ///< the host workspace, opened at start
	int _view = -1;            ///< what the file routes work in: the overlay, or the workspace
	int _output = -1;          ///< our end of the merged stdout/stderr pipe
	std::atomic<bool> _ended{false};   ///< its output ended (the shell exited): not active any more
};


} } // namespace execd::isolation
