#include "Sampler.h"
#include "execd/StreamEvent.h"
#include "Poco/Timestamp.h"
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sched.h>
#include <sstream>
#include <vector>


namespace execd {
namespace metrics {


namespace {


std::string number(double value)
	// Go's encoding/json float format for the values /metrics has (shortest
	// round trip, no exponent).
{
	char buffer[64];
	auto result = std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::fixed);
	return std::string(buffer, result.ptr);
}


long long readLong(const std::string& path, bool& ok)
{
	std::ifstream in(path);
	long long v = 0;
	ok = static_cast<bool>(in >> v);
	return v;
}


} // namespace


std::string Snapshot::toJson() const
{
	if (!error.empty())
	{
		std::string out = "{\"error\":";
		Json::appendString(out, error);
		return out + "}";
	}
	return "{\"cpu_count\":" + std::to_string(cpuCount) + ",\"cpu_used_pct\":" + number(cpuUsedPct) +
		",\"mem_total_mib\":" + number(memTotalMiB) + ",\"mem_used_mib\":" + number(memUsedMiB) +
		",\"timestamp\":" + std::to_string(timestamp) + "}";
}


Sampler::Sampler(std::chrono::milliseconds interval):
	_interval(interval)
{
	const char* root = std::getenv("HOST_PROC");
	_procRoot = root && *root ? root : "/proc";
}


Sampler::~Sampler()
{
	stop();
}


void Sampler::start()
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (_thread.joinable()) return;
	_stop = false;
	_thread = std::thread([this] { run(); });
}


void Sampler::stop()
{
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_stop = true;
	}
	_tick.notify_all();
	if (_thread.joinable()) _thread.join();
}


bool Sampler::stopped() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _stop;
}


int Sampler::cpuCount()
{
	// As the Go runtime computes GOMAXPROCS.
	if (const char* env = std::getenv("GOMAXPROCS"))
	{
		int n = std::atoi(env);
		if (n > 0) return n;
	}
	cpu_set_t set;
	int count = 0;
	if (::sched_getaffinity(0, sizeof(set), &set) == 0) count = CPU_COUNT(&set);
	if (count <= 0) count = 1;
	double quota = 0;
	std::ifstream v2("/sys/fs/cgroup/cpu.max");
	std::string max;
	long long period = 0;
	if (v2 >> max >> period && max != "max" && period > 0)
	{
		quota = std::atof(max.c_str()) / static_cast<double>(period);
	}
	else
	{
		bool ok1 = false, ok2 = false;
		long long q = readLong("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", ok1);
		long long p = readLong("/sys/fs/cgroup/cpu/cpu.cfs_period_us", ok2);
		if (ok1 && ok2 && q > 0 && p > 0) quota = static_cast<double>(q) / static_cast<double>(p);
	}
	if (quota > 0)
	{
		int limit = std::max(2, static_cast<int>(std::ceil(quota)));
		if (limit < count) count = limit;
	}
	return count;
}


bool Sampler::readCpu(unsigned long long& busy, unsigned long long& total, std::string& error) const
{
	std::ifstream in(_procRoot + "/stat");
	std::string label;
	std::vector<unsigned long long> v(8, 0);
	if (!(in >> label) || label != "cpu")
	{
		error = "cannot read " + _procRoot + "/stat";
		return false;
	}
	for (auto& x: v) in >> x;
	// user nice system idle iowait irq softirq steal (guest fields ignored)
	busy = v[0] + v[1] + v[2] + v[4] + v[5] + v[6] + v[7];
	total = busy + v[3];
	return true;
}


bool Sampler::readMemory(Snapshot& snapshot) const
{
	std::ifstream in(_procRoot + "/meminfo");
	std::string line;
	double total = -1, free = 0, buffers = 0, cached = 0, reclaimable = 0;
	while (std::getline(in, line))
	{
		std::istringstream fields(line);
		std::string key;
		double kb = 0;
		fields >> key >> kb;
		if (key == "MemTotal:") total = kb;
		else if (key == "MemFree:") free = kb;
		else if (key == "Buffers:") buffers = kb;
		else if (key == "Cached:") cached = kb;
		else if (key == "SReclaimable:") reclaimable = kb;
	}
	if (total < 0)
	{
		snapshot.error = "cannot read " + _procRoot + "/meminfo";
		return false;
	}
	snapshot.memTotalMiB = total / 1024;
	snapshot.memUsedMiB = (total - free - buffers - cached - reclaimable) / 1024;
	return true;
}


void Sampler::run()
{
	unsigned long long busy0 = 0, total0 = 0;
	std::string error;
	bool have = readCpu(busy0, total0, error);
	Poco::Int64 started = Poco::Timestamp().epochMicroseconds() / 1000;
	// The first sample comes sooner, so that /metrics right after startup does
	// not wait a whole interval.
	auto wait = std::min(_interval, std::chrono::milliseconds(250));
	for (;;)
	{
		{
			std::unique_lock<std::mutex> lock(_mutex);
			if (_tick.wait_for(lock, wait, [this] { return _stop; })) return;
		}
		wait = _interval;
		Snapshot s;
		s.cpuCount = cpuCount();
		s.timestamp = started;
		unsigned long long busy1 = 0, total1 = 0;
		error.clear();
		bool now = readCpu(busy1, total1, error);
		if (!now || !have)
		{
			s.error = error.empty() ? "cannot read cpu times" : error;
		}
		else
		{
			double dBusy = static_cast<double>(busy1) - static_cast<double>(busy0);
			double dTotal = static_cast<double>(total1) - static_cast<double>(total0);
			if (dBusy <= 0) s.cpuUsedPct = 0;
			else if (dTotal <= 0) s.cpuUsedPct = 100;
			else s.cpuUsedPct = std::min(100.0, std::max(0.0, dBusy / dTotal * 100));
			readMemory(s);
		}
		busy0 = busy1;
		total0 = total1;
		have = now;
		started = Poco::Timestamp().epochMicroseconds() / 1000;
		{
			std::lock_guard<std::mutex> lock(_mutex);
			_latest = s;
			++_generation;
		}
		_tick.notify_all();
	}
}


Snapshot Sampler::latest(std::chrono::milliseconds wait)
{
	std::unique_lock<std::mutex> lock(_mutex);
	if (!_tick.wait_for(lock, wait, [this] { return _generation > 0 || _stop; }) || _generation == 0)
	{
		Snapshot s;
		s.error = "no sample yet";
		return s;
	}
	return _latest;
}


bool Sampler::waitTick(unsigned long long& seen, std::chrono::milliseconds timeout)
{
	std::unique_lock<std::mutex> lock(_mutex);
	if (!_tick.wait_for(lock, timeout, [this, &seen] { return _generation > seen || _stop; })) return false;
	if (_stop) return false;
	seen = _generation;
	return true;
}


} } // namespace execd::metrics
