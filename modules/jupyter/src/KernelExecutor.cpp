#include "KernelExecutor.h"
#include "execd/ApiException.h"
#include "execd/Paths.h"
#include "Poco/Logger.h"


namespace execd {
namespace jupyter {


KernelExecutor::KernelExecutor(JupyterServer& server, std::map<std::string, std::string> kernels, const JupyterSettings& settings):
	_server(server),
	_client(server),
	_kernels(std::move(kernels)),
	_settings(settings)
{
}


KernelExecutor::~KernelExecutor() = default;


const std::map<std::string, std::string>& KernelExecutor::kernels() const
{
	return _kernels;
}


JupyterClient::Session KernelExecutor::startKernel(const std::string& language, const std::string& cwd)
{
	auto spec = _kernels.find(language);
	if (spec == _kernels.end())
		throw Poco::NotFoundException("no kernel is configured for language " + language);
	std::string dir = cwd.empty() ? std::string("/tmp") : cwd;
	if (dir.size() > 1 && dir.back() == '/') dir.pop_back();
	Paths::createDirectories(dir);   // as upstream: the context's cwd is created
	return _client.startSession(dir, spec->second, _settings.startupTimeout);
}


std::shared_ptr<KernelContext> KernelExecutor::create(const std::string& language, const std::string& cwd)
{
	JupyterClient::Session session = startKernel(language, cwd);
	auto pContext = std::make_shared<KernelContext>(session.sessionId, session.sessionId, session.kernelId, language, cwd, session.generation);
	try
	{
		pContext->waitReady(_server, _settings.kernelStartTimeout);
	}
	catch (Poco::Exception&)
	{
		_client.deleteSession(session.sessionId);
		throw;
	}
	std::lock_guard<std::mutex> lock(_mutex);
	_contexts[session.sessionId] = pContext;
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
	pContext->close();
	const int status = _client.deleteSession(pContext->sessionId());
	if (status != 200 && status != 204 && status != 404)
		throw Poco::RuntimeException("Jupyter answered HTTP " + std::to_string(status));
	return true;
}


void KernelExecutor::run(const ExecRequest& request, EventSink& sink)
{
	std::shared_ptr<KernelContext> pContext = contextFor(request);
	std::unique_lock<std::mutex> rebindLock(_defaultMutex);
	if (pContext->generation() != _server.generation()) renew(*pContext);
	rebindLock.unlock();
	bool notice = false;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		notice = _notices.erase(pContext->id()) > 0;
	}
	pContext->run(_server, request.code, sink, notice);
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
	JupyterClient::Session session;
	try
	{
		session = startKernel(context.language(), context.cwd());
	}
	catch (Poco::Exception& exc)
	{
		throw ApiException::runtimeError("error running codes the Jupyter server was restarted and no new kernel could be started: " + KernelContext::reason(exc));
	}
	context.rebind(session.sessionId, session.kernelId, session.generation);
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
	if (!pContext || pContext->generation() != _server.generation())
	{
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
		if (!_server.absent())
			Poco::Logger::get("execd.jupyter").warning("could not pre-warm the default %s context: %s", language, exc.displayText());
	}
}


bool KernelExecutor::interrupt(const std::string& id)
{
	auto pContext = find(id);
	if (!pContext) return false;
	const int status = _client.interruptKernel(pContext->kernelId());
	if (status != 200 && status != 204)
		throw Poco::RuntimeException("Jupyter answered HTTP " + std::to_string(status) + " to the interrupt");
	pContext->interrupted();
	return true;
}


void KernelExecutor::shutdown()
{
	std::lock_guard<std::mutex> lock(_mutex);
	for (auto& c: _contexts) c.second->abort();
}


} } // namespace execd::jupyter
