#include "ServerHost.h"
#include "execd/ApiException.h"
#include "KernelSpecs.h"
#include "ServerKernel.h"


namespace execd {
namespace jupyter {


ServerHost::ServerHost(const JupyterSettings& settings):
	_settings(settings),
	_server(settings)
{
}


std::string ServerHost::describe() const
{
	return _settings.host.empty() ? std::string("embedded Jupyter server") : "external Jupyter server " + _settings.host;
}


void ServerHost::start()
{
	_server.start();
}


void ServerHost::stop()
{
	_server.stop();
}


std::shared_ptr<Kernel> ServerHost::startKernel(const std::string&, const std::string& specName, const std::string& cwd, const ResourceGroup::Ptr& pGroup)
{
	if (pGroup && !_settings.host.empty())
		throw ApiException::badRequest("the kernels of an external Jupyter server cannot run under resource limits", ErrorCode::LIMITS_UNAVAILABLE);
	JupyterClient::Session session = JupyterClient(_server).startSession(cwd, specName, _settings.startupTimeout);
	// The spec as installed here (a local server reads the same): an external
	// server's kernel that is not known here is taken as an ordinary one.
	std::optional<KernelSpec> spec = KernelSpecs::scan(KernelSpecs::searchPath()).find(specName);
	auto pKernel = std::make_shared<ServerKernel>(_server, session, spec && spec->restartsOnInterrupt());
	if (pGroup)
	{
		// The embedded server started it: moved in before any code of a client's
		// runs in it (what it forked meanwhile stays out, its own helpers only),
		// and so is every kernel Jupyter restarts for it (ServerKernel::watch()).
		try
		{
			pKernel->setGroup(pGroup);
			if (pKernel->pid() <= 0) throw Poco::NotFoundException("the kernel's process is not known");
		}
		catch (Poco::Exception&)
		{
			pKernel->shutdown();
			throw;
		}
	}
	return pKernel;
}


int ServerHost::generation() const
{
	return _server.generation();
}


bool ServerHost::endsKernelsAtStop() const
{
	return _settings.host.empty();
}


bool ServerHost::absent() const
{
	return _server.absent();
}


} } // namespace execd::jupyter
