// The Range header of GET /files/download.

#include "ByteRange.h"
#include "Poco/String.h"


namespace execd {
namespace files {


RangeResult parseRange(const std::string& header, long long size, ByteRange& range)
	// As Go's http.ServeContent: "bytes=" then comma-separated specs; only the
	// first usable one is served.
{
	if (header.compare(0, 6, "bytes=") != 0) return RangeResult::INVALID;
	bool any = false;
	bool found = false;
	std::size_t pos = 6;
	while (pos <= header.size())
	{
		std::size_t comma = header.find(',', pos);
		std::string spec = Poco::trim(header.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
		pos = comma == std::string::npos ? header.size() + 1 : comma + 1;
		if (spec.empty()) continue;
		std::size_t dash = spec.find('-');
		if (dash == std::string::npos) return RangeResult::INVALID;
		std::string first = Poco::trim(spec.substr(0, dash));
		std::string last = Poco::trim(spec.substr(dash + 1));
		auto number = [](const std::string& t, long long& v) {
			if (t.empty() || t.size() > 18 || t.find_first_not_of("0123456789") != std::string::npos) return false;
			v = std::stoll(t);
			return true;
		};
		ByteRange r;
		if (first.empty())
		{
			long long n;
			if (!number(last, n)) return RangeResult::INVALID;
			if (n > size) n = size;
			r.start = size - n;
			r.length = n;
			any = true;
			if (n == 0) continue;
		}
		else
		{
			long long a;
			if (!number(first, a)) return RangeResult::INVALID;
			any = true;
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
			if (a >= size) continue;
		}
		if (!found)
		{
			range = r;
			found = true;
		}
	}
	if (found) return RangeResult::USABLE;
	(void) any;
	return RangeResult::NO_OVERLAP;
}


} } // namespace execd::files
