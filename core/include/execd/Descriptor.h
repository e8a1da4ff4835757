#pragma once

#include <unistd.h>


namespace execd {


class Descriptor
	/// Owns a file descriptor: closes it when it goes out of scope. Header-only,
	/// for the core and every module.
{
public:
	explicit Descriptor(int fd = -1):
		_fd(fd)
	{
	}

	~Descriptor()
	{
		if (_fd >= 0) ::close(_fd);
	}

	Descriptor(const Descriptor&) = delete;
	Descriptor& operator = (const Descriptor&) = delete;

	int get() const
		/// The descriptor (-1 for none).
	{
		return _fd;
	}

private:
	int _fd;
};


} // namespace execd
