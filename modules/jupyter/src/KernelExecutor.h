#pragma once

#include "JupyterServer.h"
#include "execd/Executor.h"
#include "Poco/JSON/Object.h"
#include "Poco/Net/HTTPClientSession.h"
#include "Poco/Net/WebSocket.h"
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>


namespace execd {
namespace jupyter {


class KernelContext
	/// One code context: a Jupyter session, its kernel, and a WebSocket to the
	/// kernel's channels that stays open between runs.
{
public:
	KernelContext(std::string id, std::string sessionId, std::string kernelId, std::string language, std::string cwd, int generation);
	~KernelContext();

	const std::string& id() const;
	const std::string& kernelId() const;
	const std::string& sessionId() const;   ///< Jupyter's session id (the context id unless the kernel was replaced)

	void rebind(std::string sessionId, std::string kernelId, int generation);
		/// A new kernel for this context, after the Jupyter server was restarted.
	const std::string& language() const;
	const std::string& cwd() const;
	int generation() const;

	void run(JupyterServer& server, const std::string& code, EventSink& sink, bool restartedNotice = false);
		/// Executes code; emits init, the kernel's output and the terminal events.
		/// Throws ApiException "session is busy" before init when a run is going on.

	void waitReady(JupyterServer& server, std::chrono::milliseconds timeout);
		/// Connects and waits for kernel_info_reply.

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

private:
	void connect(JupyterServer& server);
	void sendInterrupt(JupyterServer& server);
	void send(const std::string& channel, const std::string& type, Poco::JSON::Object::Ptr content, const std::string& msgId);
	Poco::JSON::Object::Ptr receive(std::chrono::milliseconds timeout);   // nullptr on timeout

	std::string _id;
	std::string _sessionId;
	std::string _kernelId;
	std::string _language;
	std::string _cwd;
	int _generation;
	std::string _clientSession;
	unsigned _counter = 0;
	std::mutex _runMutex;
	std::atomic<bool> _running{false};
	pid_t kernelPid();
	bool kernelGone();
	void awaitKernelInfo(JupyterServer& server, std::chrono::milliseconds timeout);   // with _runMutex held
	void adapt(std::chrono::milliseconds timeout);
		/// After the kernel is ready (with _runMutex held): for tslab's kernels,
		/// hooks that mark the value of the last expression and errors in the
		/// output, so that they become result and error events.
	void executeQuietly(const std::string& code, std::chrono::milliseconds timeout, int& executionCount);
		/// Runs code of our own and waits for its reply; no events.

	std::string _implementation;   ///< kernel_info_reply's "implementation" (ipython, tslab, jslab, ...)
	std::string _hookTag;          ///< tslab/jslab: prefix of the hooks' output; empty = no hooks
	int _countOffset = 0;          ///< executions of our own that the kernel counted
	std::chrono::steady_clock::time_point _quietUntil;   ///< tslab aborts requests for 200 ms after an error

	bool _restarted = false;   ///< the kernel died: wait for the new one before the next run
	std::string _busyWith;     ///< the request the kernel said it is busy with and has not finished (any run's)

	std::atomic<long long> _interruptedAt{0};   ///< steady clock, ms, of the last interrupt sent; 0 = none during this run
	pid_t _kernelPid = 0;   ///< found in /proc for a local server; 0 = unknown
	std::unique_ptr<Poco::Net::HTTPClientSession> _pSession;
	std::unique_ptr<Poco::Net::WebSocket> _pSocket;
	bool _binary = false;   ///< the server speaks v1.kernel.websocket.jupyter.org: raw message parts, no JSON re-encoding
};


class KernelExecutor: public CodeExecutor
	/// Code contexts for every language a Jupyter kernel serves (python,
	/// javascript, typescript, ...), through the Jupyter server's REST and
	/// WebSocket APIs. Completion is driven by the kernel's own messages.
{
public:
	KernelExecutor(JupyterServer& server, std::map<std::string, std::string> kernels, const JupyterSettings& settings);
	~KernelExecutor() override;

	// execd::CodeExecutor
	ContextInfo createContext(const std::string& language, const std::string& cwd) override;
	std::vector<ContextInfo> listContexts() override;
	std::optional<ContextInfo> findContext(const std::string& id) override;
	bool deleteContext(const std::string& id) override;
	void run(const ExecRequest& request, EventSink& sink) override;
	bool interrupt(const std::string& id) override;

	const std::map<std::string, std::string>& kernels() const;

	void shutdown();

	void prewarm(const std::string& language);
		/// Creates the language's default context now, so that the first run does
		/// not wait for a kernel to start. Failures are logged.

private:
	std::shared_ptr<KernelContext> defaultContext(const std::string& language);
	std::shared_ptr<KernelContext> create(const std::string& language, const std::string& cwd);
	void startKernel(const std::string& language, const std::string& cwd, std::string& sessionId, std::string& kernelId, int& generation);
	std::shared_ptr<KernelContext> find(const std::string& id);

	JupyterServer& _server;
	std::map<std::string, std::string> _kernels;   ///< language -> kernelspec name
	JupyterSettings _settings;
	std::mutex _mutex;
	std::map<std::string, std::shared_ptr<KernelContext>> _contexts;
	std::map<std::string, std::string> _defaults;  ///< language -> context id
	std::map<std::string, bool> _notices;          ///< contexts given a new kernel: say so once
	std::mutex _defaultMutex;
};


} } // namespace execd::jupyter
