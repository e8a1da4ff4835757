#include "MarkerFilter.h"
#include <algorithm>
#include <cstdlib>


namespace execd {
namespace shell {


MarkerFilter::MarkerFilter(const std::string& token, EventType type):
	OutputFilter(type),
	_marker("__EXECD_" + token + "__ "),
	_lines(type)
{
}


void MarkerFilter::feed(const char* data, std::size_t length, std::vector<StreamEvent>& events)
{
	if (_done) return;
	_pending.append(data, length);
	std::size_t pos = _pending.find(_marker);
	if (pos == std::string::npos)
	{
		pass(_pending.size() - markerPrefixAtEnd(), events);
		return;
	}
	std::size_t eol = _pending.find('\n', pos);
	if (eol == std::string::npos)
	{
		pass(pos, events);
		return;
	}
	_status = std::atoi(_pending.c_str() + pos + _marker.size());
	std::size_t space = _pending.find(' ', pos + _marker.size());
	if (space != std::string::npos && space < eol) _extra = _pending.substr(space + 1, eol - space - 1);
	_marked = true;
	pass(pos, events);
	_lines.finish(events);
	_done = true;
}


std::size_t MarkerFilter::markerPrefixAtEnd() const
{
	// The longest tail that is a prefix of the marker.
	for (std::size_t len = std::min(_pending.size(), _marker.size() - 1); len > 0; --len)
	{
		if (_pending.compare(_pending.size() - len, len, _marker, 0, len) == 0) return len;
	}
	return 0;
}


void MarkerFilter::finish(std::vector<StreamEvent>& events)
{
	if (_done) return;
	pass(_pending.size(), events);
	_lines.finish(events);
	_done = true;
}


bool MarkerFilter::done() const
{
	return _done;
}


bool MarkerFilter::marked() const
{
	return _marked;
}


int MarkerFilter::status() const
{
	return _status;
}


const std::string& MarkerFilter::extra() const
{
	return _extra;
}


void MarkerFilter::setTee(std::function<void(const char*, std::size_t)> tee)
{
	_tee = std::move(tee);
}


void MarkerFilter::pass(std::size_t n, std::vector<StreamEvent>& events)
{
	if (_tee && n > 0) _tee(_pending.data(), n);
	_lines.feed(_pending.data(), n, events);
	_pending.erase(0, n);
	_passed += n;
}


std::uint64_t MarkerFilter::passed() const
{
	return _passed;
}


} } // namespace execd::shell
