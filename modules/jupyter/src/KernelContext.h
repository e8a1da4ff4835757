#pragma once

#include "Kernel.h"
#include "KernelLink.h"
#include "TslabHooks.h"
#include "execd/EventSink.h"
#include "Poco/Exception.h"
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>


namespace execd {
namespace jupyter {


class KernelContext
	/// One code context: its kernel (Kernel), and a link to the kernel's channels
	/// (KernelLink) that stays open between runs.
{
public:
	KernelContext(std::string id, std::shared_ptr<Kernel> pKernel, std::string language, std::string cwd);
	~KernelContext();

	const std::string& id() const;
	std::shared_ptr<Kernel> kernel() const;
		/// The kernel now (rebind() replaces it).

	void rebind(std::shared_ptr<Kernel> pKernel);
		/// A new kernel for this context, after the Jupyter server was restarted.
	const std::string& language() const;
	const std::string& cwd() const;
	int generation() const;   ///< the kernel's

	void run(const std::string& code, EventSink& sink, bool restartedNotice = false);
		/// Executes code (see KernelRun); emits init, the kernel's output and the
		/// terminal events. Throws ApiException "session is busy" before init when
		/// a run is going on, and when it cannot connect to the kernel.

	void waitReady(std::chrono::milliseconds timeout);
		/// Connects and waits for kernel_info_reply.

	void enter(const std::string& cwd, const std::string& directory, std::chrono::milliseconds timeout);
		/// For a spare, before it is handed out: makes directory the kernel's
		/// working directory (chdirCode, which must know the language; nothing when
		/// directory is "") and cwd the context's. Throws Poco::Exception.

	static std::string chdirCode(const std::string& language, const std::string& dir);
		/// Code that changes the kernel's working directory, binding no name;
		/// "" for a language it is not known for.

	bool running() const;
	void interrupted();
		/// Called after the kernel was sent an interrupt. The run sends it again
		/// once the kernel is busy with the run's request (an interrupt that came
		/// first would be lost), and every half second until the kernel replies; a run
		/// that does not end within 2 s of the first interrupt the kernel got while
		/// running it ends with an error event (ijavascript restarts its session on
		/// an interrupt and never answers the request that was running).
	void close();
	void abort();
		/// Shuts the connection down from another thread: a run in progress ends
		/// with an error event.
	void retire();
		/// abort(), then close() once a run in progress has ended: before the
		/// context's kernel is ended.

	static std::string reason(const Poco::Exception& exc);
		/// What went wrong, never empty: some Poco exceptions (a refused connection)
		/// have only a name.

private:
	friend class KernelRun;   // the run loop works on the connection and on what is known of the kernel

	void connect();
	void prepare();
		/// With _runMutex held, before a run: connects, and waits for a replaced
		/// kernel. Throws ApiException.
	void sendInterrupt();
	void awaitKernelInfo(std::chrono::milliseconds timeout);   // with _runMutex held
	void adapt(std::chrono::milliseconds timeout);
		/// After the kernel is ready (with _runMutex held): for tslab's kernels,
		/// hooks that mark the value of the last expression and errors in the
		/// output, so that they become result and error events.
	int executeQuietly(const std::string& code, std::chrono::milliseconds timeout);
		/// Runs code of our own and waits for its reply; no events. Returns the
		/// reply's execution count.
	static long long nowMillis();
		/// The steady clock in milliseconds, as _interruptedAt keeps it.

	std::string _id;
	mutable std::mutex _kernelMutex;      ///< for _pKernel and _pLink themselves, which rebind() replaces
	std::shared_ptr<Kernel> _pKernel;
	std::unique_ptr<KernelLink> _pLink;   ///< after _pKernel: closed first
	std::string _language;
	std::string _cwd;
	std::mutex _runMutex;
	std::atomic<bool> _running{false};

	std::string _implementation;   ///< kernel_info_reply's "implementation" (ipython, tslab, jslab, ...)
	std::optional<TslabHooks> _hooks;   ///< tslab/jslab: the hooks installed in the kernel
	int _countOffset = 0;          ///< executions of our own that the kernel counted
	std::chrono::steady_clock::time_point _quietUntil;   ///< tslab aborts requests for 200 ms after an error

	bool _restarted = false;   ///< the kernel died: wait for the new one before the next run
	std::string _diedBetweenRuns;   ///< why, when the kernel died while no run was going on: said at the next run
	std::string _busyWith;     ///< the request the kernel said it is busy with and has not finished (any run's)

	std::atomic<long long> _interruptedAt{0};   ///< steady clock, ms, of the last interrupt sent; 0 = none during this run
};


} } // namespace execd::jupyter
