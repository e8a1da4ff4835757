#pragma once

#include "Poco/Types.h"
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>


namespace execd {
namespace metrics {


struct Snapshot
	/// One sample, with the units and meanings of upstream's /metrics.
{
	int cpuCount = 0;            ///< as Go's GOMAXPROCS: env, else affinity lowered to the cgroup quota
	double cpuUsedPct = 0;       ///< host-wide, over the last interval; iowait counts as busy
	double memTotalMiB = 0;      ///< /proc/meminfo MemTotal (host, not the cgroup limit)
	double memUsedMiB = 0;       ///< MemTotal - MemFree - Buffers - Cached - SReclaimable
	Poco::Int64 timestamp = 0;   ///< Unix ms when the interval started
	std::string error;           ///< non-empty when /proc could not be read

	std::string toJson() const;
		/// {"cpu_count":..,"cpu_used_pct":..,"mem_total_mib":..,"mem_used_mib":..,"timestamp":..}
		/// or {"error":"..."}.
};


class Sampler
	/// One thread samples /proc every interval for every client: /metrics answers
	/// from the last sample at once, and a thousand /metrics/watch streams wait on
	/// the same tick.
{
public:
	explicit Sampler(std::chrono::milliseconds interval);
	~Sampler();

	void start();
	void stop();

	Snapshot latest(std::chrono::milliseconds wait);
		/// The last sample; waits for the first one (at most wait).

	bool waitTick(unsigned long long& seen, std::chrono::milliseconds timeout);
		/// Waits for a sample newer than seen and updates seen; false when stopped
		/// or on timeout.

	bool stopped() const;

	static int cpuCount();

private:
	void run();
	bool readCpu(unsigned long long& busy, unsigned long long& total, std::string& error) const;
	bool readMemory(Snapshot& snapshot) const;

	std::chrono::milliseconds _interval;
	std::string _procRoot;
	mutable std::mutex _mutex;
	std::condition_variable _tick;
	Snapshot _latest;
	unsigned long long _generation = 0;
	bool _stop = false;
	std::thread _thread;
};


} } // namespace execd::metrics
