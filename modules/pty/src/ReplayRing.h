#pragma once

#include <cstddef>
#include <memory>
#include <string>


namespace execd {
namespace pty {


class ReplayRing
	/// The last CAPACITY bytes of a session's output, with the total ever written.
{
public:
	static constexpr std::size_t CAPACITY = 1024 * 1024;

	void append(const char* data, std::size_t size);

	std::string since(long long offset, long long& first) const;
		/// The retained bytes from offset on (clamped to the oldest retained byte);
		/// first receives the offset of the first byte returned.

	long long total() const;

private:
	std::unique_ptr<char[]> _data;   ///< allocated at the first byte, untouched pages cost nothing
	long long _total = 0;
};


} } // namespace execd::pty
