#include "ServerKernel.h"
#include "KernelChannel.h"
#include "Poco/UUIDGenerator.h"


namespace execd {
namespace jupyter {


ServerKernel::ServerKernel(JupyterServer& server, JupyterClient::Session session, bool restartsOnInterrupt):
	_server(server),
	_session(std::move(session)),
	_restartsOnInterrupt(restartsOnInterrupt)
{
}


std::unique_ptr<KernelLink> ServerKernel::link()
{
	return std::make_unique<KernelChannel>(Poco::UUIDGenerator::defaultGenerator().createRandom().toString(), &_server, _session.kernelId);
}


void ServerKernel::interrupt()
{
	if (_restartsOnInterrupt)
	{
		// Jupyter signals the whole group; another signal while the session
		// restarts wedges the kernel (as DirectKernel::interrupt).
		std::lock_guard<std::mutex> lock(_mutex);
		const auto now = std::chrono::steady_clock::now();
		if (now - _interruptedAt < std::chrono::seconds(3)) return;
		_interruptedAt = now;
	}
	const int status = JupyterClient(_server).interruptKernel(_session.kernelId);
	if (status != 200 && status != 204)
		throw Poco::RuntimeException("Jupyter answered HTTP " + std::to_string(status) + " to the interrupt");
}


void ServerKernel::watch()
{
	std::lock_guard<std::mutex> lock(_mutex);
	_process.find(_session.kernelId);
	adoptLocked();   // before the run's code is sent
}


void ServerKernel::adoptLocked()
{
	const pid_t pid = _process.pid();
	if (!group() || pid <= 0 || pid == _adopted) return;
	group()->adopt(pid);
	_adopted = pid;
}


bool ServerKernel::gone()
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (!_process.gone()) return false;
	_process.forget();   // Jupyter starts a new one: the next watch() finds it
	return true;
}


pid_t ServerKernel::pid()
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (_process.gone()) _process.forget();   // replaced since: its pid may be another's by now
	_process.find(_session.kernelId);
	adoptLocked();
	return _process.pid();
}


bool ServerKernel::restartsOnInterrupt() const
{
	return _restartsOnInterrupt;
}


std::string ServerKernel::goneReason() const
{
	return "the kernel died; Jupyter restarts it and its state is lost";
}


void ServerKernel::shutdown()
{
	const int status = JupyterClient(_server).deleteSession(_session.sessionId);
	if (status != 200 && status != 204 && status != 404)
		throw Poco::RuntimeException("Jupyter answered HTTP " + std::to_string(status));
}


int ServerKernel::generation() const
{
	return _session.generation;
}


} } // namespace execd::jupyter
