#include "ServerHost.h"
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


std::shared_ptr<Kernel> ServerHost::startKernel(const std::string&, const std::string& specName, const std::string& cwd)
{
	JupyterClient::Session session = JupyterClient(_server).startSession(cwd, specName, _settings.startupTimeout);
	// The spec as installed here (a local server reads the same): an external
	// server's kernel that is not known here is taken as an ordinary one.
	std::optional<KernelSpec> spec = KernelSpecs::scan(KernelSpecs::searchPath()).find(specName);
	return std::make_shared<ServerKernel>(_server, session, spec && spec->restartsOnInterrupt());
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
