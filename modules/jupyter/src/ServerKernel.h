#pragma once

#include "JupyterClient.h"
#include "JupyterServer.h"
#include "Kernel.h"
#include "KernelProcess.h"
#include <mutex>


namespace execd {
namespace jupyter {


class ServerKernel: public Kernel
	/// A kernel in a session of a Jupyter server: reached through the server's
	/// WebSocket, interrupted and ended through its REST API. When it dies the
	/// server starts a new one in its place.
{
public:
	ServerKernel(JupyterServer& server, JupyterClient::Session session);

	// Kernel
	std::unique_ptr<KernelLink> link() override;
	void interrupt() override;
	void watch() override;
	bool gone() override;
	std::string goneReason() const override;
	void shutdown() override;
	int generation() const override;

private:
	JupyterServer& _server;
	const JupyterClient::Session _session;
	std::mutex _mutex;
	KernelProcess _process;   ///< found in /proc for a local server
};


} } // namespace execd::jupyter
