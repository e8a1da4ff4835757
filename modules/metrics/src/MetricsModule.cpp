#include "MetricsModule.h"
#include "MetricsHandler.h"
#include "PrometheusHandler.h"
#include "WatchHandler.h"
#include "Poco/ClassLibrary.h"
#include <algorithm>


namespace execd {
namespace metrics {


std::string MetricsModule::name() const
{
	return "metrics";
}


void MetricsModule::configure(ModuleContext& context)
{
	ConfigReader config = context.settings();
	auto interval = config.getMillis("sampleIntervalMillis", std::chrono::milliseconds(1000), std::chrono::milliseconds(100), std::chrono::minutes(1));
	auto watch = config.getMillis("watchIntervalMillis", std::chrono::milliseconds(2000), interval, std::chrono::hours(1));
	_ticksPerLine = static_cast<int>(std::max<long long>(1, watch.count() / interval.count()));
	_pSampler = std::make_unique<Sampler>(interval);
}


std::vector<Route> MetricsModule::routes()
{
	Sampler* pSampler = _pSampler.get();
	int ticks = _ticksPerLine;
	return {
		{"GET", "/metrics", [pSampler](const RouteMatch& m) { return std::make_unique<MetricsHandler>(m, *pSampler); }},
		{"GET", "/metrics/watch", [pSampler, ticks](const RouteMatch&) { return std::make_unique<WatchHandler>(*pSampler, ticks); }},
		{"GET", "/metrics/prometheus", [pSampler](const RouteMatch&) { return std::make_unique<PrometheusHandler>(*pSampler); }},
	};
}


void MetricsModule::start()
{
	_pSampler->start();
}


void MetricsModule::shutdown()
{
	_pSampler->stop();   // watch streams end
}


} } // namespace execd::metrics


POCO_BEGIN_MANIFEST(execd::Module)
	POCO_EXPORT_CLASS(execd::metrics::MetricsModule)
POCO_END_MANIFEST
