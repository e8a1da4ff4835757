#include "http/RequestHead.h"
#include "execd/ApiException.h"
#include "Poco/String.h"
#include <algorithm>
#include <cctype>
#include <vector>


namespace execd {


namespace {




std::vector<std::string> listElements(const Poco::Net::HTTPRequest& request, const std::string& name)
{
	// A field may appear on several lines and each line may hold a comma list
	// (RFC 9110 §5.3); both forms mean the same list.
	std::vector<std::string> out;
	for (auto it = request.find(name); it != request.end() && Poco::icompare(it->first, name) == 0; ++it)
	{
		const std::string& value = it->second;
		std::size_t start = 0;
		for (;;)
		{
			std::size_t comma = value.find(',', start);
			std::string element = Poco::trim(value.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
			out.push_back(element);
			if (comma == std::string::npos) break;
			start = comma + 1;
		}
	}
	return out;
}


bool isDecimal(const std::string& s)
{
	if (s.empty() || s.size() > RequestHead::MAX_CONTENT_LENGTH_DIGITS) return false;
	return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}


void checkVersion(const std::string& version)
{
	if (version == Poco::Net::HTTPMessage::HTTP_1_1 || version == Poco::Net::HTTPMessage::HTTP_1_0) return;
	bool wellFormed = version.size() == 8 && version.compare(0, 5, "HTTP/") == 0
		&& std::isdigit(static_cast<unsigned char>(version[5])) && version[6] == '.'
		&& std::isdigit(static_cast<unsigned char>(version[7]));
	if (wellFormed)
		throw ApiException(505, ErrorCode::UNSUPPORTED_HTTP_VERSION, "HTTP version " + version + " is not supported (HTTP/1.1 and HTTP/1.0 are)");
	throw ApiException::badRequest("malformed HTTP request: invalid HTTP version");
}


void checkContentLength(const std::vector<std::string>& lengths)
{
	for (const std::string& length: lengths)
	{
		// Digits only: POCO would take "+18", " 18" or "0x12" and each of them
		// is read differently by some proxy in front of us.
		if (!isDecimal(length))
			throw ApiException::badRequest("malformed HTTP request: invalid Content-Length");
		if (std::stoll(length) != std::stoll(lengths.front()))
			throw ApiException::badRequest("malformed HTTP request: conflicting Content-Length values");
	}
}


void checkTransferEncoding(const std::vector<std::string>& codings)
{
	std::size_t chunked = 0;
	for (const std::string& coding: codings)
	{
		if (Poco::icompare(coding, "chunked") == 0) ++chunked;
	}
	if (codings.empty() || Poco::icompare(codings.back(), "chunked") != 0 || chunked > 1)
		throw ApiException::badRequest("malformed HTTP request: the last transfer coding of a request must be chunked, once");
	if (codings.size() > 1)
		throw ApiException(501, ErrorCode::NOT_IMPLEMENTED, "transfer coding " + codings.front() + " is not supported (chunked is)");
}


} // namespace


std::size_t RequestHead::findEnd(const char* data, std::size_t size, std::size_t from)
{
	std::size_t start = 0;
	while (start < size && (data[start] == '\r' || data[start] == '\n')) ++start;
	// A terminator is at most three bytes ("\n\r\n"): one that ends in the new
	// bytes starts at most two bytes before them.
	std::size_t i = std::max(start, from >= 2 ? from - 2 : 0);
	for (; i < size; ++i)
	{
		if (data[i] != '\n') continue;
		std::size_t j = i + 1;
		if (j < size && data[j] == '\r') ++j;
		if (j < size && data[j] == '\n') return j + 1;
	}
	return NPOS;
}


void RequestHead::validate(const Poco::Net::HTTPRequest& request)
{
	checkVersion(request.getVersion());
	bool hasLength = request.has(Poco::Net::HTTPMessage::CONTENT_LENGTH);
	bool hasCoding = request.has(Poco::Net::HTTPMessage::TRANSFER_ENCODING);
	if (hasLength && hasCoding)
		throw ApiException::badRequest("malformed HTTP request: both Transfer-Encoding and Content-Length");
	if (hasLength) checkContentLength(listElements(request, Poco::Net::HTTPMessage::CONTENT_LENGTH));
	if (hasCoding) checkTransferEncoding(listElements(request, Poco::Net::HTTPMessage::TRANSFER_ENCODING));
}


bool RequestHead::isHttp10(const Poco::Net::HTTPRequest& request)
{
	return request.getVersion() == Poco::Net::HTTPMessage::HTTP_1_0;
}


} // namespace execd
