#include "UpstreamReader.h"
#include "Poco/Net/NetException.h"
#include "Poco/String.h"
#include <algorithm>
#include <cstdlib>
#include <cstring>


namespace execd {
namespace proxy {


UpstreamReader::UpstreamReader(Poco::Net::StreamSocket& socket):
	_socket(socket),
	_buffer(64 * 1024)
{
}


std::size_t UpstreamReader::available() const
{
	return _end - _begin;
}


bool UpstreamReader::fill()
{
	if (_begin == _end) _begin = _end = 0;
	if (_end == _buffer.size())
	{
		std::memmove(_buffer.data(), _buffer.data() + _begin, _end - _begin);
		_end -= _begin;
		_begin = 0;
	}
	int n = _socket.receiveBytes(_buffer.data() + _end, static_cast<int>(_buffer.size() - _end));
	if (n <= 0) return false;
	_end += static_cast<std::size_t>(n);
	return true;
}


std::string UpstreamReader::line()
{
	for (;;)
	{
		const char* start = _buffer.data() + _begin;
		const void* lf = std::memchr(start, '\n', _end - _begin);
		if (lf)
		{
			std::size_t len = static_cast<std::size_t>(static_cast<const char*>(lf) - start);
			std::string out(start, len);
			_begin += len + 1;
			if (!out.empty() && out.back() == '\r') out.pop_back();
			return out;
		}
		if (_end - _begin >= _buffer.size() - 1) throw Poco::Net::MessageException("header line too long");
		if (!fill()) throw Poco::Net::MessageException("the upstream closed the connection");
	}
}


std::size_t UpstreamReader::take(char* out, std::size_t max)
{
	if (_begin == _end && !fill()) return 0;
	std::size_t n = std::min(max, _end - _begin);
	std::memcpy(out, _buffer.data() + _begin, n);
	_begin += n;
	return n;
}


void UpstreamReader::readHead(int& status, std::string& reason, Headers& headers)
{
	std::string statusLine = line();
	// HTTP/1.1 200 OK
	std::size_t sp = statusLine.find(' ');
	if (statusLine.compare(0, 5, "HTTP/") != 0 || sp == std::string::npos)
		throw Poco::Net::MessageException("malformed upstream status line");
	status = std::atoi(statusLine.c_str() + sp + 1);
	std::size_t sp2 = statusLine.find(' ', sp + 1);
	reason = sp2 == std::string::npos ? "" : statusLine.substr(sp2 + 1);
	if (status < 100 || status > 999) throw Poco::Net::MessageException("malformed upstream status line");
	for (int i = 0; i < 200; ++i)
	{
		std::string header = line();
		if (header.empty()) return;
		std::size_t colon = header.find(':');
		if (colon == std::string::npos) continue;
		headers.emplace_back(Poco::trim(header.substr(0, colon)), Poco::trim(header.substr(colon + 1)));
	}
	throw Poco::Net::MessageException("too many upstream headers");
}


void sendAll(Poco::Net::StreamSocket& socket, const char* data, std::size_t size)
{
	while (size > 0)
	{
		int n = socket.sendBytes(data, static_cast<int>(std::min<std::size_t>(size, 1 << 20)));
		if (n <= 0) throw Poco::IOException("the upstream stopped reading");
		data += n;
		size -= static_cast<std::size_t>(n);
	}
}


} } // namespace execd::proxy
