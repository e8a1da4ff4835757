#pragma once

#include "execd/Core.h"
#include <cstddef>
#include <string>
#include <vector>


namespace execd {


class EXECD_API OutputSplitter
	/// Cuts a byte stream into the events upstream sends for command output: one
	/// per line with its terminator stripped, where "\n", "\r" and "\r\n" each end
	/// a line ("\r\n" once, even when split across reads); an empty line becomes
	/// "\n"; a line longer than the piece limit is sent in pieces that never split
	/// a UTF-8 character; finish() flushes an unterminated last line.
{
public:
	static constexpr std::size_t DEFAULT_PIECE = 64 * 1024;   ///< the longest text of one output event

	explicit OutputSplitter(std::size_t maxPiece = DEFAULT_PIECE);

	void feed(const char* data, std::size_t length, std::vector<std::string>& out);
		/// Appends the complete pieces found so far to out.

	void finish(std::vector<std::string>& out);
		/// Flushes what is left (a last line without terminator).

	std::size_t pending() const;
		/// Bytes held back, waiting for the end of their line.

private:
	void emitLine(std::vector<std::string>& out);

	std::size_t _maxPiece;
	std::string _partial;
	bool _afterCR = false;
};


} // namespace execd
