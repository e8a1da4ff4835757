// The Range header of GET /files/download.

#include "ByteRange.h"
#include "Poco/String.h"


namespace execd {
namespace files {


namespace {


bool number(const std::string& text, long long& value)
	// A byte position: decimal digits only, at most 18 of them (no overflow).
{
	if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos) return false;
	value = std::stoll(text);
	return true;
}


RangeResult parseSpec(const std::string& spec, long long size, ByteRange& r)
	// One spec of the header: "a-b", "a-" or "-n". NO_OVERLAP when it is well
	// formed but does not overlap the file.
{
	std::size_t dash = spec.find('-');
	if (dash == std::string::npos) return RangeResult::INVALID;
	std::string first = Poco::trim(spec.substr(0, dash));
	std::string last = Poco::trim(spec.substr(dash + 1));
	if (first.empty())
	{
		long long n;
		if (!number(last, n)) return RangeResult::INVALID;
		if (n > size) n = size;
		r.start = size - n;
		r.length = n;
		return n == 0 ? RangeResult::NO_OVERLAP : RangeResult::USABLE;
	}
	long long a;
	if (!number(first, a)) return RangeResult::INVALID;
	if (last.empty())
	{
		r.start = a;
		r.length = size - a;
	}
	else
	{
		long long b;
		if (!number(last, b) || b < a) return RangeResult::INVALID;
		if (b >= size) b = size - 1;
		r.start = a;
		r.length = b - a + 1;
	}
	return a >= size ? RangeResult::NO_OVERLAP : RangeResult::USABLE;
}


} // namespace


RangeResult parseRange(const std::string& header, long long size, ByteRange& range)
	// As Go's http.ServeContent: "bytes=" then comma-separated specs; only the
	// first usable one is served, but a malformed one anywhere makes it INVALID.
{
	if (header.compare(0, 6, "bytes=") != 0) return RangeResult::INVALID;
	bool found = false;
	std::size_t pos = 6;
	while (pos <= header.size())
	{
		std::size_t comma = header.find(',', pos);
		std::string spec = Poco::trim(header.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
		pos = comma == std::string::npos ? header.size() + 1 : comma + 1;
		if (spec.empty()) continue;
		ByteRange r;
		RangeResult result = parseSpec(spec, size, r);
		if (result == RangeResult::INVALID) return RangeResult::INVALID;
		if (result == RangeResult::USABLE && !found)
		{
			range = r;
			found = true;
		}
	}
	return found ? RangeResult::USABLE : RangeResult::NO_OVERLAP;
}


} } // namespace execd::files
