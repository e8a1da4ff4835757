#include "PrometheusHandler.h"
#include "execd/Metrics.h"
#include <charconv>
#include <dirent.h>
#include <fstream>
#include <sstream>
#include <unistd.h>
#include <vector>


namespace execd {
namespace metrics {


PrometheusHandler::PrometheusHandler(Sampler& sampler):
	_sampler(sampler)
{
}


void PrometheusHandler::handleRequest(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& response)
{
	std::string out;
	Snapshot s = _sampler.latest(std::chrono::seconds(3));
	auto gauge = [&out](const std::string& name, const std::string& help, const std::string& type, double value) {
		char v[64];
		auto end = std::to_chars(v, v + sizeof(v), value).ptr;
		out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " + std::string(v, end) + "\n";
	};
	ProcessStats p = processStats();
	gauge("process_resident_memory_bytes", "Resident memory of execd.", "gauge", p.rss);
	gauge("process_virtual_memory_bytes", "Virtual memory of execd.", "gauge", p.vsize);
	gauge("process_cpu_seconds_total", "User and system CPU time of execd.", "counter", p.cpuSeconds);
	gauge("process_open_fds", "Open file descriptors of execd.", "gauge", p.fds);
	gauge("process_threads", "Threads of execd.", "gauge", p.threads);
	gauge("process_start_time_seconds", "Start time of execd, Unix seconds.", "gauge", p.startTime);
	if (s.error.empty())
	{
		gauge("execd_host_cpu_used_percent", "Host-wide CPU use over the last second, as /metrics cpu_used_pct.", "gauge", s.cpuUsedPct);
		gauge("execd_host_memory_total_bytes", "MemTotal of /proc/meminfo.", "gauge", s.memTotalMiB * 1048576);
		gauge("execd_host_memory_used_bytes", "MemTotal - MemFree - Buffers - Cached - SReclaimable.", "gauge", s.memUsedMiB * 1048576);
		gauge("execd_cpu_count", "CPUs execd may use (affinity and cgroup quota), as /metrics cpu_count.", "gauge", s.cpuCount);
	}
	out += Metrics::instance().prometheus();
	response.setContentType("text/plain; version=0.0.4; charset=utf-8");
	response.setContentLength(static_cast<std::streamsize>(out.size()));
	response.send() << out;
}


PrometheusHandler::ProcessStats PrometheusHandler::processStats()
{
	ProcessStats p;
	std::ifstream in("/proc/self/stat");
	std::string line;
	std::getline(in, line);
	std::size_t close = line.rfind(')');
	if (close != std::string::npos)
	{
		std::istringstream fields(line.substr(close + 2));
		std::vector<std::string> f;
		std::string x;
		while (fields >> x) f.push_back(x);
		// fields after ")": state(0) ... utime(11) stime(12) ... num_threads(17) ... starttime(19) vsize(20) rss(21)
		if (f.size() > 21)
		{
			double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
			p.cpuSeconds = (std::stod(f[11]) + std::stod(f[12])) / tick;
			p.threads = std::stod(f[17]);
			p.vsize = std::stod(f[20]);
			p.rss = std::stod(f[21]) * static_cast<double>(::sysconf(_SC_PAGESIZE));
			double boot = 0;
			std::ifstream stat("/proc/stat");
			std::string key;
			while (stat >> key)
			{
				if (key == "btime")
				{
					stat >> boot;
					break;
				}
			}
			p.startTime = boot + std::stod(f[19]) / tick;
		}
	}
	if (DIR* d = ::opendir("/proc/self/fd"))
	{
		while (struct dirent* e = ::readdir(d))
			if (e->d_name[0] != '.') p.fds += 1;
		::closedir(d);
		p.fds -= 1;   // the directory itself
	}
	return p;
}


} } // namespace execd::metrics
