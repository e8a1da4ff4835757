#include "KernelContext.h"
#include "KernelChannel.h"
#include "KernelMessage.h"
#include "KernelRun.h"
#include "execd/ApiException.h"
#include "Poco/Bugcheck.h"
#include "Poco/DigestEngine.h"
#include "Poco/Logger.h"
#include <algorithm>


namespace execd {
namespace jupyter {


KernelContext::KernelContext(std::string id, std::shared_ptr<Kernel> pKernel, std::string language, std::string cwd):
	_id(std::move(id)),
	_pKernel(std::move(pKernel)),
	_pLink(_pKernel->link()),
	_language(std::move(language)),
	_cwd(std::move(cwd))
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


std::shared_ptr<Kernel> KernelContext::kernel() const
{
	std::lock_guard<std::mutex> lock(_kernelMutex);
	return _pKernel;
}


void KernelContext::rebind(std::shared_ptr<Kernel> pKernel)
{
	std::lock_guard<std::mutex> lock(_runMutex);
	std::unique_ptr<KernelLink> pLink = pKernel->link();
	close();
	std::lock_guard<std::mutex> kernelLock(_kernelMutex);
	_pLink = std::move(pLink);
	_pKernel = std::move(pKernel);
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
	return kernel()->generation();
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
	_pLink->close();
}


void KernelContext::abort()
{
	// Only the link's shutdown: the running thread owns the objects.
	std::lock_guard<std::mutex> lock(_kernelMutex);
	_pLink->shutdown();
}


void KernelContext::retire()
{
	abort();
	std::lock_guard<std::mutex> lock(_runMutex);
	close();
}


std::string KernelContext::reason(const Poco::Exception& exc)
{
	return exc.message().empty() ? std::string(exc.name()) : exc.message();
}


long long KernelContext::nowMillis()
{
	return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}


void KernelContext::sendInterrupt()
{
	try
	{
		kernel()->interrupt();
	}
	catch (Poco::Exception& exc)
	{
		Poco::Logger::get("execd.jupyter").warning("could not interrupt the kernel of context %s: %s", _id, exc.displayText());
	}
}


void KernelContext::connect()
{
	if (_pLink->isOpen()) return;
	_busyWith.clear();   // a new connection learns anew
	_pLink->open();
}


void KernelContext::waitReady(std::chrono::milliseconds timeout)
{
	std::lock_guard<std::mutex> lock(_runMutex);
	connect();
	awaitKernelInfo(timeout);
	adapt(std::chrono::seconds(30));
}


void KernelContext::enter(const std::string& cwd, const std::string& directory, std::chrono::milliseconds timeout)
{
	std::lock_guard<std::mutex> lock(_runMutex);
	if (!directory.empty())
	{
		// Spares are kept only for the languages chdirCode() knows (KernelExecutor::spareWanted).
		const std::string code = chdirCode(_language, directory);
		poco_assert_msg(!code.empty(), "a spare of a language without a chdir cell");
		connect();
		executeQuietly(code, timeout);
	}
	_cwd = cwd;
}


std::string KernelContext::chdirCode(const std::string& language, const std::string& dir)
{
	// The directory as hex, so that no quoting rule of either language matters.
	const std::string hex = Poco::DigestEngine::digestToHex(Poco::DigestEngine::Digest(dir.begin(), dir.end()));
	if (language == "python")
		return "__import__('os').chdir(bytes.fromhex('" + hex + "').decode('utf-8', 'surrogateescape'))";
	if (language == "javascript" || language == "typescript")
		return "process.chdir(Buffer.from('" + hex + "', 'hex').toString())";
	return "";
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
	const std::string msgId = _pLink->nextId();
	_pLink->send("shell", "execute_request", KernelChannel::executeRequest(code, false), msgId);
	auto deadline = std::chrono::steady_clock::now() + timeout;
	while (std::chrono::steady_clock::now() < deadline)
	{
		auto pMessage = _pLink->receive(std::chrono::milliseconds(250));
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


void KernelContext::awaitKernelInfo(std::chrono::milliseconds timeout)
{
	bool gotReply = false;
	bool gotIopub = false;
	auto deadline = std::chrono::steady_clock::now() + timeout;
	auto nextAsk = std::chrono::steady_clock::now();
	auto askEvery = std::chrono::milliseconds(50);
	auto reconnectAt = std::chrono::steady_clock::now() + std::chrono::seconds(5);
	while (std::chrono::steady_clock::now() < deadline)
	{
		if (std::chrono::steady_clock::now() >= reconnectAt || !_pLink->isOpen())
		{
			// Channels opened while the kernel was being replaced may never reach
			// the new one: open them again (at once when the link knows; a kernel
			// that is gone for good fails here).
			close();
			connect();
			reconnectAt = std::chrono::steady_clock::now() + std::chrono::seconds(5);
			nextAsk = std::chrono::steady_clock::now();
		}
		if (std::chrono::steady_clock::now() >= nextAsk)
		{
			// A kernel that is still starting may miss the first request, and the
			// status messages of a request sent before the iopub subscription took
			// hold are lost: ask again, soon at first, then every 2 s.
			_pLink->send("shell", "kernel_info_request", new Poco::JSON::Object, _pLink->nextId());
			nextAsk = std::chrono::steady_clock::now() + askEvery;
			askEvery = std::min<std::chrono::milliseconds>(askEvery * 2, std::chrono::seconds(2));
		}
		auto pMessage = _pLink->receive(std::min<std::chrono::milliseconds>(std::chrono::milliseconds(500),
			std::chrono::duration_cast<std::chrono::milliseconds>(nextAsk - std::chrono::steady_clock::now()) + std::chrono::milliseconds(1)));
		if (!pMessage) continue;
		// Only answers to our own requests count: Jupyter sends kernel_info
		// requests of its own when channels open. And both channels must work:
		// the reply (shell) and a status message (iopub, which like any ZeroMQ
		// subscription drops what is published before it is connected).
		KernelMessage message(pMessage);
		const bool ours = message.parentId().rfind(_pLink->clientSession() + "-", 0) == 0;
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


void KernelContext::prepare()
{
	try
	{
		if (!_restarted && _pKernel->gone())
		{
			// It died while no run was going on: say so, and wait for the new one.
			_diedBetweenRuns = _pKernel->goneReason();
			_restarted = true;
			close();
		}
		connect();
		if (_restarted)
		{
			// The kernel died in an earlier run: wait for the new one.
			awaitKernelInfo(std::chrono::seconds(60));
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


void KernelContext::run(const std::string& code, EventSink& sink, bool restartedNotice)
{
	std::unique_lock<std::mutex> lock(_runMutex, std::try_to_lock);
	if (!lock.owns_lock())
		throw ApiException::runtimeError("error running codes session is busy");
	prepare();
	_interruptedAt = 0;
	_running = true;
	struct Reset
	{
		std::atomic<bool>& flag;
		~Reset() { flag = false; }
	} reset{_running};
	KernelRun(*this, code, sink).execute(restartedNotice);
}


} } // namespace execd::jupyter
