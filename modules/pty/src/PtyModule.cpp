#include "PtyModule.h"
#include "PtyHandlers.h"
#include "execd/Metrics.h"
#include "Poco/ClassLibrary.h"


namespace execd {
namespace pty {


std::string PtyModule::name() const
{
	return "pty";
}


void PtyModule::configure(ModuleContext& context)
{
	_ttl = context.settings().getMillis("idleTtlMillis", std::chrono::milliseconds(0), std::chrono::milliseconds(0), std::chrono::hours(24 * 365));
}


std::vector<Route> PtyModule::routes()
{
	return ptyRoutes(_sessions);
}


void PtyModule::start()
{
	PtySessions* s = &_sessions;
	Metrics::instance().addGauge("execd_pty_sessions", "PTY sessions.", [s] { return static_cast<double>(s->size()); });
	if (_ttl.count() > 0)
	{
		_janitor = std::thread([this] {
			std::unique_lock<std::mutex> lock(_mutex);
			while (!_wake.wait_for(lock, std::min(_ttl, std::chrono::milliseconds(5000)), [this] { return _stop; }))
			{
				lock.unlock();
				_sessions.expire(_ttl);
				lock.lock();
			}
		});
	}
}


void PtyModule::shutdown()
{
	Metrics::instance().removeGauge("execd_pty_sessions");
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_stop = true;
	}
	_wake.notify_all();
	if (_janitor.joinable()) _janitor.join();
	_sessions.terminateAll();
}


} } // namespace execd::pty


POCO_BEGIN_MANIFEST(execd::Module)
	POCO_EXPORT_CLASS(execd::pty::PtyModule)
POCO_END_MANIFEST
