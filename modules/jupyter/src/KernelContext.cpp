#include "KernelContext.h"
#include "JupyterClient.h"
#include "KernelMessage.h"
#include "KernelRun.h"
#include "execd/ApiException.h"
#include "Poco/Logger.h"
#include "Poco/UUIDGenerator.h"


namespace execd {
namespace jupyter {


KernelContext::KernelContext(std::string id, std::string sessionId, std::string kernelId, std::string language, std::string cwd, int generation):
	_id(std::move(id)),
	_sessionId(std::move(sessionId)),
	_kernelId(std::move(kernelId)),
	_language(std::move(language)),
	_cwd(std::move(cwd)),
	_generation(generation),
	_channel(Poco::UUIDGenerator::defaultGenerator().createRandom().toString())
{
}


KernelContext::~KernelContext()
{
	close();
}


const std::string& KernelContext::id() const
{
	return _id;
}


const std::string& KernelContext::kernelId() const
{
	return _kernelId;
}


const std::string& KernelContext::sessionId() const
{
	return _sessionId;
}


void KernelContext::rebind(std::string sessionId, std::string kernelId, int generation)
{
	std::lock_guard<std::mutex> lock(_runMutex);
	close();
	_sessionId = std::move(sessionId);
	_kernelId = std::move(kernelId);
	_generation = generation;
	_process.forget();
	_restarted = true;   // wait for kernel_info before the next execute
}


const std::string& KernelContext::language() const
{
	return _language;
}


const std::string& KernelContext::cwd() const
{
	return _cwd;
}


int KernelContext::generation() const
{
	return _generation;
}


bool KernelContext::running() const
{
	return _running;
}


void KernelContext::interrupted()
{
	if (_running) _interruptedAt = nowMillis();
}


void KernelContext::close()
{
	_channel.close();
}


void KernelContext::abort()
{
	// Only the socket's shutdown: the running thread owns the objects.
	_channel.shutdown();
}


std::string KernelContext::reason(const Poco::Exception& exc)
{
	return exc.message().empty() ? std::string(exc.name()) : exc.message();
}


long long KernelContext::nowMillis()
{
	return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}


void KernelContext::sendInterrupt(JupyterServer& server)
{
	try
	{
		JupyterClient(server).interruptKernel(_kernelId);
	}
	catch (Poco::Exception& exc)
	{
		Poco::Logger::get("execd.jupyter").warning("could not interrupt kernel %s: %s", _kernelId, exc.displayText());
	}
}


void KernelContext::connect(JupyterServer& server)
{
	if (_channel.isOpen()) return;
	_busyWith.clear();   // a new connection learns anew
	Poco::URI base = server.base(std::chrono::seconds(30));
	_channel.open(base, server.token(), _kernelId, server.rawMessages());
}


void KernelContext::waitReady(JupyterServer& server, std::chrono::milliseconds timeout)
{
	std::lock_guard<std::mutex> lock(_runMutex);
	connect(server);
	awaitKernelInfo(server, timeout);
	adapt(std::chrono::seconds(30));
}


void KernelContext::adapt(std::chrono::milliseconds timeout)
{
	_hooks.reset();
	_countOffset = 0;
	if (!TslabHooks::wanted(_implementation)) return;
	TslabHooks hooks;
	int count = executeQuietly(hooks.code(), timeout);
	_hooks = hooks;
	_countOffset = count;
}


int KernelContext::executeQuietly(const std::string& code, std::chrono::milliseconds timeout)
{
	const std::string msgId = _channel.nextId();
	_channel.send("shell", "execute_request", KernelChannel::executeRequest(code, false), msgId);
	auto deadline = std::chrono::steady_clock::now() + timeout;
	while (std::chrono::steady_clock::now() < deadline)
	{
		auto pMessage = _channel.receive(std::chrono::milliseconds(250));
		if (!pMessage) continue;
		KernelMessage message(pMessage);
		if (message.parentId() != msgId || message.type() != "execute_reply") continue;
		auto body = message.content();
		std::string status = body ? body->optValue<std::string>("status", "") : "";
		if (status != "ok")
			throw Poco::RuntimeException("the kernel refused execd's set-up code (" + status + ")");
		return body->optValue<int>("execution_count", 0);
	}
	throw Poco::TimeoutException("the kernel did not run execd's set-up code in time");
}


void KernelContext::awaitKernelInfo(JupyterServer& server, std::chrono::milliseconds timeout)
{
	bool gotReply = false;
	bool gotIopub = false;
	auto deadline = std::chrono::steady_clock::now() + timeout;
	auto nextAsk = std::chrono::steady_clock::now();
	auto reconnectAt = std::chrono::steady_clock::now() + std::chrono::seconds(5);
	while (std::chrono::steady_clock::now() < deadline)
	{
		if (std::chrono::steady_clock::now() >= reconnectAt)
		{
			// Channels opened while the kernel was being replaced may never reach
			// the new one: open them again.
			close();
			connect(server);
			reconnectAt = std::chrono::steady_clock::now() + std::chrono::seconds(5);
			nextAsk = std::chrono::steady_clock::now();
		}
		if (std::chrono::steady_clock::now() >= nextAsk)
		{
			// A kernel that is still starting may miss the first request: ask again.
			_channel.send("shell", "kernel_info_request", new Poco::JSON::Object, _channel.nextId());
			nextAsk = std::chrono::steady_clock::now() + std::chrono::seconds(2);
		}
		auto pMessage = _channel.receive(std::chrono::milliseconds(500));
		if (!pMessage) continue;
		// Only answers to our own requests count: Jupyter sends kernel_info
		// requests of its own when channels open. And both channels must work:
		// the reply (shell) and a status message (iopub, which like any ZeroMQ
		// subscription drops what is published before it is connected).
		KernelMessage message(pMessage);
		const bool ours = message.parentId().rfind(_channel.clientSession() + "-", 0) == 0;
		if (ours && message.type() == "kernel_info_reply")
		{
			gotReply = true;
			if (auto content = message.content())
				_implementation = content->optValue<std::string>("implementation", "");
		}
		if (ours && message.channel() == "iopub") gotIopub = true;
		if (gotReply && gotIopub) return;
	}
	throw Poco::TimeoutException("the kernel did not become ready in time");
}


void KernelContext::prepare(JupyterServer& server)
{
	try
	{
		connect(server);
		if (_restarted)
		{
			// The kernel died in an earlier run: wait for Jupyter's new one.
			awaitKernelInfo(server, std::chrono::seconds(60));
			adapt(std::chrono::seconds(30));
			_restarted = false;
		}
	}
	catch (Poco::Exception& exc)
	{
		close();
		throw ApiException::runtimeError("error running codes cannot connect to the kernel: " + reason(exc));
	}
}


void KernelContext::run(JupyterServer& server, const std::string& code, EventSink& sink, bool restartedNotice)
{
	std::unique_lock<std::mutex> lock(_runMutex, std::try_to_lock);
	if (!lock.owns_lock())
		throw ApiException::runtimeError("error running codes session is busy");
	prepare(server);
	_interruptedAt = 0;
	_running = true;
	struct Reset
	{
		std::atomic<bool>& flag;
		~Reset() { flag = false; }
	} reset{_running};
	KernelRun(*this, server, code, sink).execute(restartedNotice);
}


} } // namespace execd::jupyter
