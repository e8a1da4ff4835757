#include "Multipart.h"
#include "Poco/Exception.h"
#include "Poco/Net/MessageHeader.h"
#include "Poco/Net/NameValueCollection.h"
#include "Poco/String.h"
#include <algorithm>
#include <cstring>


namespace execd {
namespace files {


namespace {


constexpr std::size_t BLOCK = 256 * 1024;
constexpr std::size_t MAX_HEADERS = 16 * 1024;


} // namespace


MultipartParser::MultipartParser(std::istream& in, std::string boundary):
	_in(in),
	_delimiter("\r\n--" + boundary),
	_buffer(BLOCK + _delimiter.size() + MAX_HEADERS)
{
	// The first delimiter may open the body without a CRLF before it.
	_buffer[0] = '\r';
	_buffer[1] = '\n';
	_end = 2;
}


bool MultipartParser::fill()
{
	if (_eof) return false;
	if (_begin > 0)
	{
		std::memmove(_buffer.data(), _buffer.data() + _begin, _end - _begin);
		_end -= _begin;
		_begin = 0;
	}
	if (_end == _buffer.size()) return true;   // full: the caller consumes first
	_in.read(_buffer.data() + _end, static_cast<std::streamsize>(_buffer.size() - _end));
	std::streamsize n = _in.gcount();
	if (n <= 0)
	{
		_eof = true;
		return false;
	}
	_end += static_cast<std::size_t>(n);
	return true;
}


std::size_t MultipartParser::find(const std::string& what, std::size_t from) const
{
	if (from >= _end || _end - from < what.size()) return std::string::npos;
	const char* base = _buffer.data();
	const void* hit = ::memmem(base + from, _end - from, what.data(), what.size());
	return hit ? static_cast<std::size_t>(static_cast<const char*>(hit) - base) : std::string::npos;
}


bool MultipartParser::next(Part& part)
{
	if (_done) return false;
	if (_inBody) read([](const char*, std::size_t) {});   // skip the rest of the current part
	// Find the delimiter (the preamble before the first one is ignored).
	for (;;)
	{
		std::size_t at = find(_delimiter, _begin);
		if (at != std::string::npos)
		{
			_begin = at + _delimiter.size();
			break;
		}
		if (_end - _begin > _delimiter.size()) _begin = _end - _delimiter.size();
		if (!fill()) throw Poco::DataFormatException("multipart body ends before its first boundary");
	}
	// "--" closes the body; otherwise optional whitespace and CRLF, then headers.
	while (_end - _begin < 2)
		if (!fill()) throw Poco::DataFormatException("multipart body ends after a boundary");
	if (_buffer[_begin] == '-' && _buffer[_begin + 1] == '-')
	{
		_done = true;
		return false;
	}
	std::size_t headersEnd;
	for (;;)
	{
		headersEnd = find("\r\n\r\n", _begin);
		if (headersEnd != std::string::npos) break;
		if (_end - _begin > MAX_HEADERS) throw Poco::DataFormatException("multipart part headers are too long");
		if (!fill()) throw Poco::DataFormatException("multipart body ends in part headers");
	}
	std::string block(_buffer.data() + _begin, headersEnd + 2 - _begin);
	_begin = headersEnd + 4;
	std::size_t eol = block.find("\r\n");
	std::string padding = block.substr(0, eol);
	if (padding.find_first_not_of(" \t") != std::string::npos)
		throw Poco::DataFormatException("malformed multipart boundary line");
	part = Part();
	std::size_t pos = eol + 2;
	while (pos < block.size())
	{
		std::size_t lineEnd = block.find("\r\n", pos);
		std::string line = block.substr(pos, lineEnd - pos);
		pos = lineEnd + 2;
		std::size_t colon = line.find(':');
		if (colon == std::string::npos) throw Poco::DataFormatException("malformed multipart part header");
		std::string name = Poco::toLower(Poco::trim(line.substr(0, colon)));
		part.headers[name] = Poco::trim(line.substr(colon + 1));
	}
	auto disposition = part.headers.find("content-disposition");
	if (disposition != part.headers.end()) parseDisposition(disposition->second, part);
	_inBody = true;
	return true;
}


void MultipartParser::read(const std::function<void(const char*, std::size_t)>& sink)
{
	if (!_inBody) return;
	for (;;)
	{
		std::size_t at = find(_delimiter, _begin);
		if (at != std::string::npos)
		{
			if (at > _begin) sink(_buffer.data() + _begin, at - _begin);
			_begin = at;   // next() consumes the delimiter
			_inBody = false;
			return;
		}
		// Everything but a possible start of the delimiter is body.
		std::size_t safe = _end - _begin > _delimiter.size() ? _end - _begin - _delimiter.size() + 1 : 0;
		if (safe > 0)
		{
			sink(_buffer.data() + _begin, safe);
			_begin += safe;
		}
		if (!fill()) throw Poco::DataFormatException("multipart body ends inside a part");
	}
}


std::string MultipartParser::boundaryOf(const std::string& contentType)
{
	std::string type;
	Poco::Net::NameValueCollection params;
	Poco::Net::MessageHeader::splitParameters(contentType, type, params);
	if (Poco::icompare(Poco::trim(type), "multipart/form-data") != 0) return "";
	std::string boundary = params.get("boundary", "");
	if (boundary.size() > 200) return "";
	return boundary;
}


void MultipartParser::parseDisposition(const std::string& value, Part& part)
{
	// form-data; name="file"; filename="a.txt", or the C# SDK's unquoted
	// form-data; name=metadata; filename=metadata; filename*=utf-8''metadata
	std::string type;
	Poco::Net::NameValueCollection params;
	Poco::Net::MessageHeader::splitParameters(value, type, params);
	part.name = params.get("name", "");
	part.hasFilename = params.has("filename") || params.has("filename*");
}


} } // namespace execd::files
