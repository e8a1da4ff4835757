#include "KernelExecutor.h"
#include "execd/ApiException.h"
#include "execd/Paths.h"
#include "Poco/Logger.h"
#include "Poco/UUIDGenerator.h"


namespace execd {
namespace jupyter {


const std::string KernelExecutor::DEFAULT_DIRECTORY = "/tmp";


KernelExecutor::KernelExecutor(KernelHost& host, std::map<std::string, std::string> kernels, const JupyterSettings& settings):
	_host(host),
	_kernels(std::move(kernels)),
	_settings(settings)
{
}


KernelExecutor::~KernelExecutor()
{
	shutdown();
}


const std::map<std::string, std::string>& KernelExecutor::kernels() const
{
	return _kernels;
}


std::string KernelExecutor::directoryFor(const std::string& cwd)
{
	std::string dir = cwd.empty() ? DEFAULT_DIRECTORY : cwd;
	if (dir.size() > 1 && dir.back() == '/') dir.pop_back();
	Paths::createDirectories(dir);   // as upstream: the context's cwd is created
	return dir;
}


std::shared_ptr<Kernel> KernelExecutor::startKernel(const std::string& language, const std::string& directory, const ResourceGroup::Ptr& pGroup)
{
	auto spec = _kernels.find(language);
	if (spec == _kernels.end())
		throw Poco::NotFoundException("no kernel is configured for language " + language);
	return _host.startKernel(language, spec->second, directory, pGroup);
}


std::shared_ptr<KernelContext> KernelExecutor::launch(const std::string& language, const std::string& cwd, const std::string& directory, bool spare, const ResourceGroup::Ptr& pGroup)
{
	std::shared_ptr<Kernel> pKernel = startKernel(language, directory, pGroup);
	if (spare) pKernel->setBackground(true);
	std::shared_ptr<KernelContext> pContext;
	try
	{
		pContext = std::make_shared<KernelContext>(Poco::UUIDGenerator::defaultGenerator().createRandom().toString(), pKernel, language, cwd);
	}
	catch (Poco::Exception&)
	{
		pKernel->shutdown();
		throw;
	}
	{
		// shutdown() aborts the wait.
		std::lock_guard<std::mutex> lock(_mutex);
		_starting.insert(pContext);
	}
	try
	{
		if (_stopping) throw Poco::IllegalStateException("execd is shutting down");
		pContext->waitReady(_settings.kernelStartTimeout);
	}
	catch (Poco::Exception&)
	{
		{
			std::lock_guard<std::mutex> lock(_mutex);
			_starting.erase(pContext);
		}
		discard(pContext);
		throw;
	}
	std::lock_guard<std::mutex> lock(_mutex);
	_starting.erase(pContext);
	return pContext;
}


void KernelExecutor::discard(const std::shared_ptr<KernelContext>& pContext)
{
	pContext->retire();
	try
	{
		pContext->kernel()->shutdown();
	}
	catch (Poco::Exception& exc)
	{
		Poco::Logger::get("execd.jupyter").warning("could not end the kernel of context %s: %s", pContext->id(), exc.displayText());
	}
}


std::shared_ptr<KernelContext> KernelExecutor::takeSpare(const std::string& language, const std::string& cwd, const std::string& directory)
{
	for (;;)
	{
		std::shared_ptr<KernelContext> pSpare;
		{
			std::lock_guard<std::mutex> lock(_spareMutex);
			auto& pool = _spares[language];
			if (pool.empty()) return nullptr;
			pSpare = pool.front();
			pool.erase(pool.begin());
		}
		_spareChanged.notify_all();   // refill
		if (pSpare->kernel()->gone() || pSpare->generation() != _host.generation())
		{
			discard(pSpare);   // died while waiting: its restart is not known to be ready
			continue;
		}
		pSpare->kernel()->setBackground(false);
		try
		{
			pSpare->enter(cwd, directory == DEFAULT_DIRECTORY ? std::string() : directory, std::chrono::seconds(10));
			return pSpare;
		}
		catch (Poco::Exception& exc)
		{
			Poco::Logger::get("execd.jupyter").warning("a spare %s kernel could not enter %s: %s", language, directory, exc.displayText());
			discard(pSpare);
		}
	}
}


std::shared_ptr<KernelContext> KernelExecutor::create(const std::string& language, const std::string& cwd)
{
	const std::string directory = directoryFor(cwd);
	std::shared_ptr<KernelContext> pContext = takeSpare(language, cwd, directory);
	if (!pContext) pContext = launch(language, cwd, directory);
	std::lock_guard<std::mutex> lock(_mutex);
	_contexts[pContext->id()] = pContext;
	return pContext;
}


std::shared_ptr<KernelContext> KernelExecutor::find(const std::string& id)
{
	std::lock_guard<std::mutex> lock(_mutex);
	auto it = _contexts.find(id);
	return it == _contexts.end() ? nullptr : it->second;
}


ContextInfo KernelExecutor::createContext(const std::string& language, const std::string& cwd)
{
	auto pContext = create(language, cwd);
	return ContextInfo{pContext->id(), language, cwd};
}


ContextInfo KernelExecutor::createLimitedContext(const std::string& language, const std::string& cwd, const ResourceGroup::Ptr& pGroup)
{
	auto pContext = launch(language, cwd, directoryFor(cwd), false, pGroup);
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_contexts[pContext->id()] = pContext;
	}
	return ContextInfo{pContext->id(), language, cwd};
}


std::vector<ContextInfo> KernelExecutor::listContexts()
{
	std::lock_guard<std::mutex> lock(_mutex);
	std::vector<ContextInfo> result;
	for (const auto& c: _contexts)
		result.push_back(ContextInfo{c.first, c.second->language(), c.second->cwd()});
	return result;
}


std::optional<ContextInfo> KernelExecutor::findContext(const std::string& id)
{
	auto pContext = find(id);
	if (!pContext) return std::nullopt;
	return ContextInfo{id, pContext->language(), pContext->cwd()};
}


bool KernelExecutor::deleteContext(const std::string& id)
{
	std::shared_ptr<KernelContext> pContext;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		auto it = _contexts.find(id);
		if (it == _contexts.end()) return false;
		pContext = it->second;
		_contexts.erase(it);
	}
	{
		std::lock_guard<std::mutex> lock(_defaultMutex);
		for (auto it = _defaults.begin(); it != _defaults.end();)
			it = it->second == id ? _defaults.erase(it) : std::next(it);
	}
	pContext->retire();   // a run going on ends first
	pContext->kernel()->shutdown();
	return true;
}


void KernelExecutor::run(const ExecRequest& request, EventSink& sink)
{
	std::shared_ptr<KernelContext> pContext = contextFor(request);
	std::unique_lock<std::mutex> rebindLock(_defaultMutex);
	if (pContext->generation() != _host.generation()) renew(*pContext);
	rebindLock.unlock();
	bool notice = false;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		notice = _notices.erase(pContext->id()) > 0;
	}
	pContext->run(request.code, sink, notice);
}


std::shared_ptr<KernelContext> KernelExecutor::contextFor(const ExecRequest& request)
{
	if (!request.contextId.empty())
	{
		auto pContext = find(request.contextId);
		if (!pContext) throw ApiException::runtimeError("error running codes context not found");
		return pContext;
	}
	try
	{
		return defaultContext(request.language);
	}
	catch (Poco::Exception& exc)
	{
		throw ApiException::runtimeError("error running codes cannot create the default " + request.language + " context: " + KernelContext::reason(exc));
	}
}


void KernelExecutor::renew(KernelContext& context)
{
	// The Jupyter server was restarted and the kernel went with it: give the
	// context a new one, and say so.
	std::shared_ptr<Kernel> pKernel;
	try
	{
		pKernel = startKernel(context.language(), directoryFor(context.cwd()), context.kernel()->group());
	}
	catch (Poco::Exception& exc)
	{
		throw ApiException::runtimeError("error running codes the Jupyter server was restarted and no new kernel could be started: " + KernelContext::reason(exc));
	}
	context.rebind(pKernel);
	std::lock_guard<std::mutex> lock(_mutex);
	_notices[context.id()] = true;
}


std::shared_ptr<KernelContext> KernelExecutor::defaultContext(const std::string& language)
{
	// Created on first use, once, even when several requests arrive together.
	std::lock_guard<std::mutex> lock(_defaultMutex);
	std::shared_ptr<KernelContext> pContext;
	auto it = _defaults.find(language);
	if (it != _defaults.end()) pContext = find(it->second);
	if (!pContext || pContext->generation() != _host.generation() || !pContext->kernel()->usable())
	{
		if (pContext)
		{
			// Its kernel kept dying: another one.
			{
				std::lock_guard<std::mutex> contextsLock(_mutex);
				_contexts.erase(pContext->id());
			}
			discard(pContext);
		}
		pContext = create(language, "");
		_defaults[language] = pContext->id();
	}
	return pContext;
}


void KernelExecutor::prewarm(const std::string& language)
{
	try
	{
		defaultContext(language);
		Poco::Logger::get("execd.jupyter").information("default %s context ready", language);
	}
	catch (Poco::Exception& exc)
	{
		// Without a server in the image that was said once already.
		if (!_host.absent())
			Poco::Logger::get("execd.jupyter").warning("could not pre-warm the default %s context: %s", language, exc.displayText());
	}
}


bool KernelExecutor::interrupt(const std::string& id)
{
	auto pContext = find(id);
	if (!pContext) return false;
	pContext->kernel()->interrupt();
	pContext->interrupted();
	return true;
}


void KernelExecutor::startSpares()
{
	std::lock_guard<std::mutex> lock(_spareMutex);
	if (_spareThread.joinable() || _stopping) return;
	_spareThread = std::thread([this] { keepSpares(); });
}


std::size_t KernelExecutor::spares(const std::string& language)
{
	std::lock_guard<std::mutex> lock(_spareMutex);
	auto it = _spares.find(language);
	return it == _spares.end() ? 0 : it->second.size();
}


std::optional<std::string> KernelExecutor::spareWanted()
{
	const auto now = std::chrono::steady_clock::now();
	for (const auto& s: _settings.spareKernels)
	{
		if (s.second <= 0 || !_kernels.count(s.first) || KernelContext::chdirCode(s.first, "/").empty()) continue;
		auto retry = _spareRetry.find(s.first);
		if (retry != _spareRetry.end() && now < retry->second) continue;
		if (static_cast<int>(_spares[s.first].size()) < s.second) return s.first;
	}
	return std::nullopt;
}


void KernelExecutor::keepSpares()
{
	std::unique_lock<std::mutex> lock(_spareMutex);
	for (;;)
	{
		_spareChanged.wait_for(lock, std::chrono::seconds(5), [this] { return _stopping || spareWanted(); });
		if (_stopping) return;
		std::optional<std::string> language = spareWanted();
		if (!language) continue;
		lock.unlock();
		std::shared_ptr<KernelContext> pSpare;
		try
		{
			pSpare = launch(*language, "", DEFAULT_DIRECTORY, true);
			pSpare->kernel()->watch();   // gone() from here on says whether it died waiting
		}
		catch (Poco::Exception& exc)
		{
			if (!_host.absent() && !_stopping)   // else said once already, or shutting down
				Poco::Logger::get("execd.jupyter").warning("could not start a spare %s kernel: %s", *language, exc.displayText());
		}
		catch (std::exception& exc)
		{
			Poco::Logger::get("execd.jupyter").warning("could not start a spare %s kernel: %s", *language, std::string(exc.what()));
		}
		lock.lock();
		if (!pSpare)
		{
			_spareRetry[*language] = std::chrono::steady_clock::now() + std::chrono::seconds(30);
			continue;
		}
		if (_stopping)
		{
			lock.unlock();
			discard(pSpare);
			return;
		}
		_spares[*language].push_back(pSpare);
		Poco::Logger::get("execd.jupyter").debug("a spare %s kernel is ready", *language);
	}
}


void KernelExecutor::shutdown()
{
	{
		std::lock_guard<std::mutex> lock(_spareMutex);
		_stopping = true;
	}
	_spareChanged.notify_all();
	{
		std::lock_guard<std::mutex> lock(_mutex);
		for (auto& c: _contexts) c.second->abort();
		for (auto& c: _starting) c->abort();
	}
	if (_spareThread.joinable()) _spareThread.join();
	// Spares are nobody's: an external server would keep their sessions.
	std::map<std::string, std::vector<std::shared_ptr<KernelContext>>> spares;
	{
		std::lock_guard<std::mutex> lock(_spareMutex);
		spares.swap(_spares);
	}
	if (!_host.endsKernelsAtStop())
		for (auto& pool: spares)
			for (auto& pSpare: pool.second) discard(pSpare);
}


} } // namespace execd::jupyter
