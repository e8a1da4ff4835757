#include "RunScript.h"
#include "execd/Paths.h"
#include "Poco/Exception.h"
#include <cstdlib>


namespace execd {
namespace isolation {


RunScript::RunScript(std::string marker):
	_marker(std::move(marker))
{
}


std::string RunScript::input(const std::string& code, const std::vector<std::pair<std::string, std::string>>& envs) const
{
	std::string out;
	if (!envs.empty())
	{
		out += "(\n";
		for (const auto& e: envs) out += "export " + Paths::shellQuote(e.first) + "=" + Paths::shellQuote(e.second) + "\n";
	}
	out += code;
	if (out.empty() || out.back() != '\n') out += '\n';
	if (!envs.empty()) out += ")\n";
	out += "echo " + _marker + " $?\n";
	return out;
}


void RunScript::feed(const char* data, std::size_t size, std::vector<std::string>& lines)
{
	std::size_t start = 0;
	for (std::size_t i = 0; i < size && !_status; ++i)
	{
		if (data[i] != '\n') continue;
		_pending.append(data + start, i - start);
		start = i + 1;
		std::string text;
		text.swap(_pending);
		line(std::move(text), lines);
	}
	if (_status) return;
	_pending.append(data + start, size - start);
	if (_pending.size() > MAX_LINE)
	{
		// Memory stays bounded: the line is dropped but for its end, where the
		// marker may follow output that had no newline.
		_overflowed = _dropping = true;
		const std::size_t keep = _marker.size() + 16;
		_pending.erase(0, _pending.size() - keep);
	}
}


bool RunScript::overflowed() const
{
	return _overflowed;
}


void RunScript::finish(std::vector<std::string>& lines)
{
	if (_status || _pending.empty()) return;
	std::string text;
	text.swap(_pending);
	line(std::move(text), lines);
}


std::optional<int> RunScript::status() const
{
	return _status;
}


void RunScript::line(std::string text, std::vector<std::string>& lines)
{
	if (!text.empty() && text.back() == '\r') text.pop_back();
	const std::size_t at = text.find(_marker);
	if (_dropping)
	{
		_dropping = false;
		if (at != std::string::npos) _status = std::atoi(text.c_str() + at + _marker.size());
		return;
	}
	if (at != std::string::npos)
	{
		// The code's output may end without a newline: what comes before the
		// marker is its last line.
		if (at > 0) lines.push_back(text.substr(0, at));
		_status = std::atoi(text.c_str() + at + _marker.size());
		return;
	}
	if (!text.empty()) lines.push_back(std::move(text));
}


} } // namespace execd::isolation
