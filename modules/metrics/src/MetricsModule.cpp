#include "execd/Module.h"
#include "Poco/ClassLibrary.h"


namespace execd {
namespace metrics {


class MetricsModule: public Module
	/// Process and host metrics: /metrics and /metrics/watch.
	/// Its endpoints come with the metrics issue (#6).
	/// It has no settings yet; unknown module.metrics.* keys are reported at startup.
{
public:
	std::string name() const override
	{
		return "metrics";
	}

	void configure(ModuleContext&) override
	{
	}
};


} } // namespace execd::metrics


POCO_BEGIN_MANIFEST(execd::Module)
	POCO_EXPORT_CLASS(execd::metrics::MetricsModule)
POCO_END_MANIFEST
