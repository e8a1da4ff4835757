#pragma once

#include "execd/Core.h"
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>


namespace execd {


class EXECD_API Metrics
	/// execd's own counters and gauges, for operators: the dispatcher counts every
	/// request by method, route and status; modules add gauges (running commands,
	/// live kernels, ...). The metrics module exposes them in the Prometheus text
	/// format. Thread-safe.
{
public:
	static Metrics& instance();

	void countRequest(const std::string& method, const std::string& route, int status);
		/// route is the pattern that matched ("/files/info", "/code/contexts/{contextId}"),
		/// or "unmatched".

	void addGauge(const std::string& name, const std::string& help, std::function<double()> value);
		/// A gauge read when the metrics are exported. A module must remove its
		/// gauges in shutdown(): the function lives in the module's library.

	void removeGauge(const std::string& name);

	std::string prometheus() const;
		/// The counters and gauges in the Prometheus text exposition format.

private:
	Metrics() = default;

	struct Gauge
	{
		std::string help;
		std::function<double()> value;
	};

	mutable std::mutex _mutex;
	std::map<std::tuple<std::string, std::string, int>, unsigned long long> _requests;
	std::map<std::string, Gauge> _gauges;
};


} // namespace execd
