#pragma once

#include "JupyterSettings.h"
#include "execd/Subprocess.h"
#include "Poco/Net/HTTPResponse.h"
#include "Poco/URI.h"
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <sys/types.h>


namespace execd {
namespace jupyter {


class JupyterServer
	/// The Jupyter server execd talks to: an external one (--jupyter-host), or,
	/// by default, one execd starts on a free loopback port with a random token,
	/// restarts when it dies and stops on shutdown. The embedded server's token,
	/// config, runtime files (connection files, cookie secret) and log live in a
	/// 0700 directory of root's; it serves only the kernel, session and status
	/// APIs, from an empty root_dir. When it ends, its kernels are killed.
{
public:
	explicit JupyterServer(const JupyterSettings& settings);
	~JupyterServer();

	bool rawMessages() const;
		/// Whether kernel WebSockets offer the v1 subprotocol (raw message parts).

	void start();
		/// Starts the embedded server in the background (no-op for an external one).

	void stop();

	Poco::URI base(std::chrono::milliseconds wait);
		/// The server's base URL once it answers; throws Poco::TimeoutException
		/// (or the start failure) when it does not within wait. In an image
		/// without the embedded server's command it throws at once
		/// (Poco::IllegalStateException); each call looks again, so a server
		/// installed later is started on the next request.

	bool absent() const;
		/// The embedded server's command does not exist (nothing is retried
		/// until a request comes).

	const std::string& token() const;

	int generation() const;
		/// Incremented each time the embedded server is (re)started: kernels of an
		/// earlier generation are gone.

private:
	void supervise();
	bool launch();
	int spawn(int port, const std::string& log);
		/// Starts the server on port, its output to log; 0, or why it could not (errno).
	bool awaitAnswer(const Poco::URI& uri, const std::string& log);
		/// Until it answers at uri, exits or the startup timeout passes.
	void failed(const std::string& failure, bool absent);
		/// With _mutex held: a start attempt failed (said once per distinct reason).
	void killKernels();
		/// After the server ended: SIGKILLs the kernels it started and their descendants.
	bool answers(const Poco::URI& uri);

	JupyterSettings _settings;
	bool _embedded;
	std::string _token;
	Poco::URI _uri;
	std::string _directory;
	Subprocess _server;        // started and reaped by the supervisor thread only
	pid_t _pid = -1;           // the server's, for stop()
	int _generation = 0;
	bool _ready = false;
	bool _stopping = false;
	bool _absent = false;    ///< the server command is not there: wait for a request, not a timer
	bool _wanted = false;    ///< a request came while absent: look again now
	int _failures = 0;       ///< start attempts that failed: a waiting request gives up at the next
	std::string _failure;
	mutable std::mutex _mutex;
	std::condition_variable _changed;
	std::thread _thread;
};


} } // namespace execd::jupyter
