#include "ReplayRing.h"
#include <algorithm>
#include <cstring>


namespace execd {
namespace pty {


void ReplayRing::append(const char* data, std::size_t size)
{
	if (!_data) _data.reset(new char[CAPACITY]);   // default-initialised: no memset
	if (size >= CAPACITY)
	{
		data += size - CAPACITY;
		_total += static_cast<long long>(size - CAPACITY);
		size = CAPACITY;
	}
	std::size_t at = static_cast<std::size_t>(_total % static_cast<long long>(CAPACITY));
	std::size_t first = std::min(size, CAPACITY - at);
	std::memcpy(_data.get() + at, data, first);
	std::memcpy(_data.get(), data + first, size - first);
	_total += static_cast<long long>(size);
}


std::string ReplayRing::since(long long offset, long long& first) const
{
	long long oldest = std::max(0LL, _total - static_cast<long long>(CAPACITY));
	if (offset < oldest) offset = oldest;
	first = offset;
	if (offset >= _total) return std::string();
	std::size_t size = static_cast<std::size_t>(_total - offset);
	std::size_t at = static_cast<std::size_t>(offset % static_cast<long long>(CAPACITY));
	std::string out;
	out.reserve(size);
	std::size_t head = std::min(size, CAPACITY - at);
	out.append(_data.get() + at, head);
	out.append(_data.get(), size - head);
	return out;
}


long long ReplayRing::total() const
{
	return _total;
}


} } // namespace execd::pty
