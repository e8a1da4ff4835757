#pragma once

#include "DirectKernel.h"
#include "JupyterSettings.h"
#include "KernelHost.h"
#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>
#include <zmq.hpp>


namespace execd {
namespace jupyter {


class DirectHost: public KernelHost
	/// execd's own kernel manager, the default when no Jupyter server is given:
	/// it finds kernelspecs as Jupyter does (KernelSpecs), starts DirectKernels and
	/// talks to them over ZeroMQ (ZmqLink), without a Jupyter server.
	///
	/// One thread watches every kernel: it polls their exit descriptors, and pings
	/// each heartbeat once a second. A kernel whose process ends is started again at
	/// once; one that answered its heartbeat before and then leaves a ping
	/// unanswered for heartbeatTimeout (the process alive, but stopped or wedged) is
	/// killed and started again.
	///
	/// Connection files and the kernels' logs are in a directory only execd's user
	/// can enter, removed at stop().
{
public:
	explicit DirectHost(const JupyterSettings& settings);
	~DirectHost() override;

	// KernelHost
	std::string describe() const override;
	void start() override;
	void stop() override;
	std::shared_ptr<Kernel> startKernel(const std::string& language, const std::string& specName, const std::string& cwd, const ResourceGroup::Ptr& pGroup) override;
		/// Throws Poco::NotFoundException when no kernelspec of that name is
		/// installed (except python3: then python3 -m ipykernel_launcher, as
		/// jupyter_client falls back to its own interpreter's ipykernel).
	int generation() const override;
	bool endsKernelsAtStop() const override;
	bool absent() const override;

	zmq::context_t& zmqContext();
	std::string directory() const;
		/// "" once stopped.
	unsigned long badSignature();
		/// Counts a message dropped for its signature; returns the count.
	unsigned long badSignatures() const;

	void unwatch(DirectKernel& kernel);
		/// Stops watching the kernel; once this returns the watcher does not touch it.

	static KernelSpec nativePython();
		/// The spec used for python3 when none is installed.

	static bool canRestorePriority();
		/// Whether execd may lower a nice value again (CAP_SYS_NICE, or RLIMIT_NICE
		/// allows it): without, spares are not started in the background.

private:
	struct Beat;

	void watcher();
	void watch(std::vector<std::shared_ptr<DirectKernel>>& kernels, std::map<DirectKernel*, Beat>& beats,
		std::chrono::steady_clock::time_point& lastPass);
		/// One pass of the watcher: pings due, one poll, what it found.
	void wake();

	JupyterSettings _settings;
	zmq::context_t _zmq;
	std::string _directory;
	std::thread _thread;
	int _wake = -1;   ///< eventfd: the list changed, or stop
	mutable std::mutex _mutex;
	std::condition_variable _passed;
	std::vector<std::shared_ptr<DirectKernel>> _kernels;
	unsigned long _pass = 0;   ///< the watcher's loops; it copies _kernels at each
	bool _stopping = false;
	std::atomic<unsigned long> _badSignatures{0};
};


} } // namespace execd::jupyter
