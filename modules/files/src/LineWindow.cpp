// The line window of GET /files/download, as a state machine over the file's bytes.

#include "LineWindow.h"
#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>


namespace execd {
namespace files {


LineWindow::LineWindow(long long offset, std::optional<long long> limit, Sink sink):
	_offset(offset),
	_limit(limit),
	_sink(std::move(sink))
{
}


std::size_t LineWindow::feed(const char* data, std::size_t size)
{
	std::size_t pos = 0;
	while (pos < size && !done())
	{
		if (_line < _offset)
		{
			pos += skip(data + pos, size - pos);
			continue;
		}
		const char* start = data + pos;
		const char* newline = static_cast<const char*>(std::memchr(start, '\n', size - pos));
		std::size_t length = newline ? static_cast<std::size_t>(newline - start) : size - pos;
		pass(start, length);
		pos += length;
		if (newline)
		{
			++pos;
			endLine();
		}
	}
	return pos;
}


void LineWindow::finish()
{
	if (_inLine)
	{
		_returns = 0;
		_inLine = false;
		++_written;
	}
}


bool LineWindow::done() const
{
	return _limit && _written >= *_limit;
}


std::size_t LineWindow::skip(const char* data, std::size_t size)
{
	// Lines before the window are only counted: a piece that ends before the
	// window is counted whole, which the compiler vectorises; only the piece in
	// which the window begins is searched newline by newline.
	const long long wanted = _offset - _line;
	const long long count = std::count(data, data + size, '\n');
	if (count < wanted)
	{
		_line += count;
		return size;
	}
	const char* p = data;
	for (long long k = 0; k < wanted; ++k)
		p = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(data + size - p))) + 1;
	_line = _offset;
	return static_cast<std::size_t>(p - data);
}


void LineWindow::pass(const char* data, std::size_t size)
{
	if (!_inLine)
	{
		// The separator goes out when the next line has begun, so the last line
		// is never followed by one.
		if (_written > 0) _sink("\n", 1);
		_inLine = true;
	}
	std::size_t end = size;
	while (end > 0 && data[end - 1] == '\r') --end;
	if (end == 0)
	{
		_returns += size;
		return;
	}
	releaseReturns();   // they were inside the line after all
	_sink(data, end);
	_returns = size - end;
}


void LineWindow::endLine()
{
	_returns = 0;   // trailing: dropped
	_inLine = false;
	++_written;
	++_line;
}


void LineWindow::releaseReturns()
{
	static const std::string RETURNS(256, '\r');
	while (_returns > 0)
	{
		std::size_t n = static_cast<std::size_t>(std::min<unsigned long long>(_returns, RETURNS.size()));
		_sink(RETURNS.data(), n);
		_returns -= n;
	}
}


std::optional<long long> LineWindow::parseBound(const std::string& text)
{
	std::size_t i = 0;
	bool negative = false;
	if (i < text.size() && (text[i] == '+' || text[i] == '-'))
	{
		negative = text[i] == '-';
		++i;
	}
	if (i == text.size()) return std::nullopt;
	long long value = 0;
	for (; i < text.size(); ++i)
	{
		if (text[i] < '0' || text[i] > '9') return std::nullopt;
		int digit = text[i] - '0';
		if (value > (std::numeric_limits<long long>::max() - digit) / 10) return std::nullopt;   // past int64
		value = value * 10 + digit;
	}
	// A negative number that parses is below 1 all the same; only its syntax counted.
	if (negative || value < 1) return std::nullopt;
	return value;
}


} } // namespace execd::files
