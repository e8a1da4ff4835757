#include "MetricsHandler.h"
#include "PrometheusHandler.h"
#include "Sampler.h"
#include "WatchHandler.h"
#include "execd/Module.h"
#include "Poco/ClassLibrary.h"
#include <algorithm>
#include <memory>


namespace execd {
namespace metrics {


class MetricsModule: public Module
	/// Process and host metrics: /metrics, /metrics/watch and /metrics/prometheus,
	/// all from one background sampler.
{
public:
	std::string name() const override
	{
		return "metrics";
	}

	void configure(ModuleContext& context) override
	{
		ConfigReader config = context.settings();
		auto interval = config.getMillis("sampleIntervalMillis", std::chrono::milliseconds(1000), std::chrono::milliseconds(100), std::chrono::minutes(1));
		auto watch = config.getMillis("watchIntervalMillis", std::chrono::milliseconds(2000), interval, std::chrono::hours(1));
		_ticksPerLine = static_cast<int>(std::max<long long>(1, watch.count() / interval.count()));
		_pSampler = std::make_unique<Sampler>(interval);
	}

	std::vector<Route> routes() override
	{
		Sampler* pSampler = _pSampler.get();
		int ticks = _ticksPerLine;
		return {
			{"GET", "/metrics", [pSampler](const RouteMatch& m) { return std::make_unique<MetricsHandler>(m, *pSampler); }},
			{"GET", "/metrics/watch", [pSampler, ticks](const RouteMatch&) { return std::make_unique<WatchHandler>(*pSampler, ticks); }},
			{"GET", "/metrics/prometheus", [pSampler](const RouteMatch&) { return std::make_unique<PrometheusHandler>(*pSampler); }},
		};
	}

	void start() override
	{
		_pSampler->start();
	}

	void shutdown() override
	{
		_pSampler->stop();   // watch streams end
	}

private:
	std::unique_ptr<Sampler> _pSampler;
	int _ticksPerLine = 2;
};


} } // namespace execd::metrics


POCO_BEGIN_MANIFEST(execd::Module)
	POCO_EXPORT_CLASS(execd::metrics::MetricsModule)
POCO_END_MANIFEST
