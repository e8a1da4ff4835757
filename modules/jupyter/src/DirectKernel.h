#pragma once

#include "Kernel.h"
#include "KernelSpecs.h"
#include "execd/Subprocess.h"
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <zmq.hpp>


namespace execd {
namespace jupyter {


class DirectHost;


class DirectKernel: public Kernel, public std::enable_shared_from_this<DirectKernel>
	/// A kernel execd starts itself, as jupyter_client would: five loopback ports
	/// and a random HMAC key in a connection file (0600, in the host's 0700
	/// directory), the kernelspec's argv in a process group of its own, with
	/// execd's environment less its secrets plus the spec's env. DirectHost
	/// watches it: when the process ends, or stops answering its heartbeat, the
	/// kernel is started again in its place (a new incarnation, on new ports)
	/// unless it died at start five times in a row.
{
public:
	struct Endpoint
	{
		std::string ip;
		int shellPort = 0;
		int iopubPort = 0;
		int stdinPort = 0;
		int controlPort = 0;
		int hbPort = 0;
		std::string key;
		int incarnation = 0;
	};

	DirectKernel(DirectHost& host, KernelSpec spec, std::string cwd);
	~DirectKernel() override;

	void launch();
		/// Starts the first incarnation. Throws Poco::Exception ("fork/exec ...").

	// Kernel
	std::unique_ptr<KernelLink> link() override;
	void interrupt() override;
		/// SIGINT to the kernel's process group, or interrupt_request on control
		/// for a spec with interrupt_mode "message".
	void watch() override;
	bool gone() override;
	std::string goneReason() const override;
	void shutdown() override;
		/// requestShutdown(), then finish() within a second.
	int generation() const override;
	pid_t pid() override;
	bool reaped(pid_t pid, int& waitStatus, struct rusage& usage) const override;
	bool restartsOnInterrupt() const override;
	bool usable() const override;
	void setBackground(bool background) override;

	const KernelSpec& spec() const;
	int incarnation() const;
	Endpoint endpoint() const;
		/// Throws Poco::IllegalStateException when the kernel is gone for good.
	zmq::context_t& zmqContext();
	void badSignature(const std::string& channel);

	void requestShutdown();
		/// shutdown_request on control; the kernel is not restarted any more.
	void finish(std::chrono::steady_clock::time_point deadline);
		/// Waits for the process until deadline, then kills its group; removes the
		/// connection file.

	// For DirectHost's watcher thread.
	int exitDescriptor() const;
		/// -1 once the process was reaped.
	void exited();
		/// The process ended: reaps it, and starts the next incarnation.
	void heartbeatLost(int incarnation);
		/// Kills the process of that incarnation, if it still runs (exited() follows).

	bool heartbeatWhileBusy() const;
		/// False for tslab and jslab, whose heartbeat is answered on the thread that
		/// runs the user's code: a long synchronous cell silences it, so their
		/// heartbeat is not watched (their exit is).

	static std::string newSessionId();

private:
	void start();   // with _mutex held
	void applyPriority();   // with _mutex held: to every thread of the process
	void sendControl(const std::string& type);   // with _mutex held
	void removeFiles();
	void noteEnd(int waitStatus);   // with _mutex held: the incarnation just reaped
	std::string startFailure() const;
		/// The end of the kernel's log, for a kernel that died at start.

	DirectHost& _host;
	const KernelSpec _spec;
	const std::string _cwd;
	const std::string _id;
	mutable std::mutex _mutex;
	Subprocess _process;
	Endpoint _endpoint;
	std::string _connectionFile;
	std::string _logFile;
	std::unique_ptr<zmq::socket_t> _pControl;   ///< for interrupt and shutdown requests; this incarnation's
	std::chrono::steady_clock::time_point _startedAt;
	std::chrono::steady_clock::time_point _interruptedAt;   ///< the last SIGINT, for kernels that get one at a time
	int _quickDeaths = 0;     ///< deaths within 5 s of a start, in a row
	int _watched = -1;        ///< the incarnation watch() saw
	bool _lost = false;       ///< gone for good: shut down, or died at start too often
	bool _background = false; ///< a spare not handed out yet
	bool _silent = false;     ///< this incarnation was killed for not answering its heartbeat
	std::string _why;         ///< how the last incarnation ended
	pid_t _endedPid = 0;      ///< the last incarnation reaped with its status, that status and usage
	int _endedStatus = 0;
	struct rusage _endedUsage{};
};


} } // namespace execd::jupyter
