#pragma once

#include "Sampler.h"
#include "execd/Module.h"
#include <memory>


namespace execd {
namespace metrics {


class MetricsModule: public Module
	/// Process and host metrics: /metrics, /metrics/watch and /metrics/prometheus,
	/// all from one background sampler.
{
public:
	std::string name() const override;
	void configure(ModuleContext& context) override;
	std::vector<Route> routes() override;
	void start() override;
	void shutdown() override;

private:
	std::unique_ptr<Sampler> _pSampler;
	int _ticksPerLine = 2;
};


} } // namespace execd::metrics
