// The multipart/form-data parser of POST /files/upload. The input is
// "<Content-Type value>\n<body>"; in the body, 0xFF followed by a byte n stands
// for (n + 1) * 4 KiB of filler (1 MiB in all at most), so that small inputs make
// bodies larger than the parser's 256 KiB block and exercise its refills.

#include "FuzzSupport.h"
#include "Multipart.h"
#include <algorithm>
#include <cstring>
#include <sstream>


using execd::files::MultipartParser;


namespace {


constexpr std::size_t MAX_FILLER = 1024 * 1024;


std::string expand(const uint8_t* data, size_t size)
{
	std::string body;
	std::size_t filler = 0;
	for (size_t i = 0; i < size; ++i)
	{
		if (data[i] == 0xFF && i + 1 < size)
		{
			std::size_t n = std::min((static_cast<size_t>(data[i + 1]) + 1) * 4096, MAX_FILLER - filler);
			body.append(n, 'x');
			filler += n;
			++i;
		}
		else
		{
			body += static_cast<char>(data[i]);
		}
	}
	return body;
}


} // namespace


extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
	const uint8_t* newline = static_cast<const uint8_t*>(std::memchr(data, '\n', size));
	if (!newline) return 0;
	std::string contentType(reinterpret_cast<const char*>(data), static_cast<size_t>(newline - data));
	std::string boundary = MultipartParser::boundaryOf(contentType);
	if (boundary.empty()) boundary = "B";
	std::string body = expand(newline + 1, size - static_cast<size_t>(newline + 1 - data));

	std::istringstream in(body);
	MultipartParser parser(in, boundary);
	std::size_t total = 0;
	execd::fuzz::expectBadInput([&] {
		MultipartParser::Part part;
		while (parser.next(part))
		{
			execd::fuzz::require(part.headers.size() <= body.size(), "more part headers than bytes");
			for (const auto& header: part.headers)
			{
				MultipartParser::Part other;
				MultipartParser::parseDisposition(header.second, other);
			}
			parser.read([&](const char* p, std::size_t n) {
				execd::fuzz::require(p != nullptr && n > 0, "an empty block passed to the sink");
				total += n;
			});
			execd::fuzz::require(total <= body.size(), "more part bytes than body bytes");
		}
		// After the closing delimiter there is nothing more.
		execd::fuzz::require(!parser.next(part), "a part after the closing delimiter");
	});
	return 0;
}
