#pragma once

#include "JupyterServer.h"
#include <chrono>
#include <string>


namespace execd {
namespace jupyter {


class JupyterClient
	/// The Jupyter server's REST API as execd uses it: sessions (a kernel each)
	/// and kernel interrupts. Every call waits for the server (JupyterServer::base())
	/// and sends its token. Holds only a reference to the server: cheap to create.
{
public:
	struct Session
		/// A session Jupyter started, and the server generation that serves it.
	{
		std::string sessionId;
		std::string kernelId;
		int generation = 0;
	};

	explicit JupyterClient(JupyterServer& server);

	Session startSession(const std::string& directory, const std::string& kernelspec, std::chrono::milliseconds timeout);
		/// Starts a kernel of the kernelspec in a new session whose notebook is in
		/// directory (absolute, without a trailing '/'): the kernel runs there. Throws
		/// Poco::RuntimeException with Jupyter's message when it refuses, and what
		/// base() and request() throw.

	int deleteSession(const std::string& sessionId);
		/// Deletes a session and its kernel; returns the HTTP status.

	int interruptKernel(const std::string& kernelId);
		/// Sends the kernel an interrupt; returns the HTTP status.

	std::string request(const std::string& method, const std::string& path, const std::string& body,
		int& status, std::chrono::milliseconds timeout);
		/// One REST call with the token; returns the body. Throws
		/// Poco::TimeoutException or Poco::IllegalStateException when the server is
		/// not there (see JupyterServer::base()), Poco::Net exceptions when the call fails.

private:
	JupyterServer& _server;
};


} } // namespace execd::jupyter
