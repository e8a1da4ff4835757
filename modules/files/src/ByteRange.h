#pragma once

#include <string>


namespace execd {
namespace files {


struct ByteRange
	/// One satisfiable range of a file: its first byte and its length.
{
	long long start = 0;
	long long length = 0;
};


enum class RangeResult
	/// What a Range header asks of a file of a given size.
{
	USABLE,       ///< range holds the first satisfiable spec
	INVALID,      ///< malformed: serve 416 "invalid range"
	NO_OVERLAP    ///< well formed, but no spec overlaps the file: 416
};


RangeResult parseRange(const std::string& header, long long size, ByteRange& range);
	/// Parses a Range header as Go's http.ServeContent does: "bytes=" then
	/// comma-separated specs ("a-b", "a-", "-n"); only the first usable one is
	/// served. range is meaningful only when USABLE is returned.


} } // namespace execd::files
