#include "Sampler.h"
#include "execd/Http.h"
#include "execd/JsonHandler.h"
#include "execd/Metrics.h"
#include "execd/Module.h"
#include "Poco/ClassLibrary.h"
#include "Poco/Net/StreamSocket.h"
#include <charconv>
#include <dirent.h>
#include <fstream>
#include <sstream>
#include <unistd.h>


namespace execd {
namespace metrics {


namespace {


class MetricsHandler: public JsonHandler
	/// GET /metrics: the last sample, at once (upstream samples for a second per request).
{
public:
	MetricsHandler(const RouteMatch& match, Sampler& sampler):
		JsonHandler(match),
		_sampler(sampler)
	{
	}

protected:
	void handle(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& response) override
	{
		Snapshot s = _sampler.latest(std::chrono::seconds(3));
		if (!s.error.empty()) throw ApiException::runtimeError("error reading runtime metrics. " + s.error);
		Http::sendJson(response, s.toJson());
	}

private:
	Sampler& _sampler;
};


class WatchHandler: public Poco::Net::HTTPRequestHandler
	/// GET /metrics/watch: one JSON line every two samples (≈2 s) until the client
	/// goes away. Every watcher waits on the one sampler's tick.
{
public:
	WatchHandler(Sampler& sampler, int ticksPerLine):
		_sampler(sampler),
		_ticksPerLine(ticksPerLine)
	{
	}

	void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override
	{
		response.setContentType("text/event-stream");
		response.set("Cache-Control", "no-cache");
		response.set("X-Accel-Buffering", "no");
		response.setChunkedTransferEncoding(true);
		response.setKeepAlive(false);   // the stream never ends server-side
		std::ostream& out = response.send();
		out.flush();
		Poco::Net::StreamSocket& socket = Http::socketOf(request);
		unsigned long long seen = 0;
		int ticks = 0;
		// The first line as soon as there is a sample, then every ticksPerLine samples.
		bool first = true;
		for (;;)
		{
			if (!_sampler.waitTick(seen, std::chrono::seconds(5)))
			{
				if (_sampler.stopped() || peerClosed(socket)) return;
				continue;
			}
			if (!first && ++ticks < _ticksPerLine) continue;
			first = false;
			ticks = 0;
			// A line, then a blank line: readers that skip blank lines see JSON lines
			// as upstream sends them, and the Go SDK (which dispatches on a blank
			// line) gets each sample as it comes.
			std::string line = _sampler.latest(std::chrono::milliseconds(0)).toJson() + "\n\n";
			try
			{
				out.write(line.data(), static_cast<std::streamsize>(line.size()));
				out.flush();
			}
			catch (...)
			{
				return;
			}
			if (!out.good() || peerClosed(socket)) return;
		}
	}

private:
	static bool peerClosed(Poco::Net::StreamSocket& socket)
	{
		try
		{
			if (!socket.poll(Poco::Timespan(0), Poco::Net::Socket::SELECT_READ)) return false;
			char c;
			return socket.receiveBytes(&c, 1, MSG_PEEK) <= 0;
		}
		catch (...)
		{
			return true;
		}
	}

	Sampler& _sampler;
	int _ticksPerLine;
};


class PrometheusHandler: public Poco::Net::HTTPRequestHandler
	/// GET /metrics/prometheus: process, host and execd gauges in the text format.
{
public:
	explicit PrometheusHandler(Sampler& sampler):
		_sampler(sampler)
	{
	}

	void handleRequest(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& response) override
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

private:
	struct ProcessStats
	{
		double rss = 0, vsize = 0, cpuSeconds = 0, fds = 0, threads = 0, startTime = 0;
	};

	static ProcessStats processStats()
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

	Sampler& _sampler;
};


} // namespace


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
