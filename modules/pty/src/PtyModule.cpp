#include "PtyHandlers.h"
#include "PtySessions.h"
#include "execd/Metrics.h"
#include "execd/Module.h"
#include "Poco/ClassLibrary.h"
#include <condition_variable>
#include <mutex>
#include <thread>


namespace execd {
namespace pty {


class PtyModule: public Module
	/// /pty: interactive shells over WebSocket, with a replay ring per session.
{
public:
	std::string name() const override
	{
		return "pty";
	}

	void configure(ModuleContext& context) override
	{
		_ttl = context.settings().getMillis("idleTtlMillis", std::chrono::milliseconds(0), std::chrono::milliseconds(0), std::chrono::hours(24 * 365));
	}

	std::vector<Route> routes() override
	{
		return ptyRoutes(_sessions);
	}

	void start() override
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

	void shutdown() override
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

private:
	PtySessions _sessions;
	std::chrono::milliseconds _ttl{0};
	std::mutex _mutex;
	std::condition_variable _wake;
	bool _stop = false;
	std::thread _janitor;
};


} } // namespace execd::pty


POCO_BEGIN_MANIFEST(execd::Module)
	POCO_EXPORT_CLASS(execd::pty::PtyModule)
POCO_END_MANIFEST
