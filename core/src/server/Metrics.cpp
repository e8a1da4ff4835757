#include "execd/Metrics.h"
#include <charconv>
#include <cmath>


namespace execd {


namespace {


std::string labelValue(const std::string& text)
	// Backslash, double quote and newline escaped, as the text format wants.
{
	std::string out;
	for (char c: text)
	{
		if (c == '\\' || c == '"') out += '\\';
		if (c == '\n')
		{
			out += "\\n";
			continue;
		}
		out += c;
	}
	return out;
}


std::string number(double value)
{
	if (std::isnan(value)) return "NaN";
	char buffer[64];
	auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
	return std::string(buffer, result.ptr);
}


} // namespace


Metrics& Metrics::instance()
{
	static Metrics metrics;
	return metrics;
}


void Metrics::countRequest(const std::string& method, const std::string& route, int status)
{
	std::lock_guard<std::mutex> lock(_mutex);
	++_requests[std::make_tuple(method, route, status)];
}


void Metrics::addGauge(const std::string& name, const std::string& help, std::function<double()> value)
{
	std::lock_guard<std::mutex> lock(_mutex);
	_gauges[name] = Gauge{help, std::move(value)};
}


void Metrics::removeGauge(const std::string& name)
{
	std::lock_guard<std::mutex> lock(_mutex);
	_gauges.erase(name);
}


std::string Metrics::prometheus() const
{
	std::map<std::tuple<std::string, std::string, int>, unsigned long long> requests;
	std::map<std::string, Gauge> gauges;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		requests = _requests;
		gauges = _gauges;
	}
	std::string out;
	out += "# HELP execd_http_requests_total HTTP requests answered, by method, route pattern and status.\n";
	out += "# TYPE execd_http_requests_total counter\n";
	for (const auto& r: requests)
	{
		out += "execd_http_requests_total{method=\"" + labelValue(std::get<0>(r.first)) + "\",route=\"" +
			labelValue(std::get<1>(r.first)) + "\",status=\"" + std::to_string(std::get<2>(r.first)) + "\"} " +
			std::to_string(r.second) + "\n";
	}
	for (const auto& g: gauges)
	{
		out += "# HELP " + g.first + " " + g.second.help + "\n";
		out += "# TYPE " + g.first + " gauge\n";
		out += g.first + " " + number(g.second.value()) + "\n";
	}
	return out;
}


} // namespace execd
