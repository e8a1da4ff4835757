// Range and offset parsing of GET /files/download: the Range header against a
// file size, the entity tags of If-Range / If-Match, and the query string every
// handler reads its parameters from. The input is 8 bytes of file size, then
// the header (also used as a query string).

#include "ByteRange.h"
#include "FileSystem.h"
#include "FuzzSupport.h"
#include "execd/Http.h"
#include <cstring>


using namespace execd;
using execd::fuzz::require;


extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
	if (size < 8) return 0;
	unsigned long long raw = 0;
	std::memcpy(&raw, data, 8);
	// st_size: non-negative, and small sizes are the interesting ones.
	long long fileSize = static_cast<long long>((raw & 0x8000000000000000ULL) ? raw & 0xFFFF : raw & 0x7FFFFFFFFFFFFFFFULL);
	std::string header(reinterpret_cast<const char*>(data) + 8, size - 8);

	files::ByteRange range;
	switch (files::parseRange(header, fileSize, range))
	{
	case files::RangeResult::USABLE:
		require(range.start >= 0 && range.start < fileSize, "range start outside the file");
		require(range.length > 0 && range.length <= fileSize - range.start, "range length outside the file");
		break;
	case files::RangeResult::INVALID:
	case files::RangeResult::NO_OVERLAP:
		break;
	}

	std::vector<std::string> tags = files::entityTags(header);
	std::size_t bytes = 0;
	for (const std::string& tag: tags) bytes += tag.size();
	require(bytes <= header.size(), "entity tags longer than their header");
	files::ifMatchPasses(header, nullptr);

	fuzz::expectBadInput([&] {
		fuzz::FuzzRequest request("GET", "/files/download?" + header, "");
		QueryParams query(request);
		query.get("path");
		query.getAll("path");
		query.get("cursor", "0");
		query.has("depth");
	});
	return 0;
}
