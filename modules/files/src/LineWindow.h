#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>


namespace execd {
namespace files {


class LineWindow
	/// The line window of GET /files/download?offset=&limit=: a file's bytes go in
	/// as they are read, in pieces of any size, and lines offset ... offset+limit-1
	/// (1-based) come out joined by a single '\n', with no newline after the last.
	/// A line is the bytes up to a '\n'; a last fragment without one is a line too,
	/// and a file ending in '\n' has no empty line after it. Every '\r' at the end of
	/// a line is dropped ("ab\r\r\n" is "ab"); other bytes pass as they are.
	///
	/// Nothing is stored: lines before the window are only counted, and the bytes of
	/// a line inside it are passed on as they arrive, so a line of any length costs
	/// no memory. A run of '\r' at the end of a piece is held back as a count until
	/// the next byte tells whether the line ends after it.
{
public:
	using Sink = std::function<void(const char* data, std::size_t size)>;

	LineWindow(long long offset, std::optional<long long> limit, Sink sink);
		/// offset >= 1; limit >= 1, or none for every line to the end of the file.
		/// sink receives the output, in pieces.

	std::size_t feed(const char* data, std::size_t size);
		/// The next bytes of the file. Returns how many were taken: all of them, or
		/// fewer when the window was completed inside them (done() is true then).

	void finish();
		/// The end of the file: a last line without '\n' ends here.

	bool done() const;
		/// True when the window is complete: the rest of the file need not be read.

	static std::optional<long long> parseBound(const std::string& text);
		/// A query value as Go's strconv.ParseInt(text, 10, 64), which must be >= 1:
		/// an optional sign, then decimal digits only ("+3" is 3; "", " 3", "1.5",
		/// "0", "-1" and values past int64 are nothing).

private:
	std::size_t skip(const char* data, std::size_t size);
	void pass(const char* data, std::size_t size);
	void endLine();
	void releaseReturns();

	long long _offset;
	std::optional<long long> _limit;
	Sink _sink;
	long long _line = 1;              ///< the number of the line being read
	long long _written = 0;           ///< lines of the window completed so far
	bool _inLine = false;             ///< the current line (inside the window) has begun
	unsigned long long _returns = 0;  ///< '\r' held back at the end of what was passed
};


} } // namespace execd::files
