#pragma once

#include "JupyterClient.h"
#include "JupyterServer.h"
#include "Kernel.h"
#include "KernelProcess.h"
#include <chrono>
#include <mutex>


namespace execd {
namespace jupyter {


class ServerKernel: public Kernel
	/// A kernel in a session of a Jupyter server: reached through the server's
	/// WebSocket, interrupted and ended through its REST API. When it dies the
	/// server starts a new one in its place.
{
public:
	ServerKernel(JupyterServer& server, JupyterClient::Session session, bool restartsOnInterrupt);
		/// restartsOnInterrupt: the kernel's spec (as found here) says so; such a
		/// kernel is interrupted at most once in 3 s.

	// Kernel
	std::unique_ptr<KernelLink> link() override;
	void interrupt() override;
	void watch() override;
	bool gone() override;
	std::string goneReason() const override;
	void shutdown() override;
	int generation() const override;
	pid_t pid() override;
	bool restartsOnInterrupt() const override;

private:
	void adoptLocked();
		/// With a ResourceGroup, moves the kernel's process found now into it,
		/// once per process: a kernel Jupyter restarted is a new one.

	JupyterServer& _server;
	const JupyterClient::Session _session;
	std::mutex _mutex;
	KernelProcess _process;   ///< found in /proc for a local server
	const bool _restartsOnInterrupt;
	std::chrono::steady_clock::time_point _interruptedAt;   ///< the last interrupt, for such a kernel
	pid_t _adopted = 0;   ///< the last process moved into group()
};


} } // namespace execd::jupyter
