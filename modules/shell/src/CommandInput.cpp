#include "CommandInput.h"
#include <cerrno>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>
#include <vector>


namespace execd {
namespace shell {


namespace {


class Turn
	/// A writer's turn, taken with a deadline.
{
public:
	Turn(std::timed_mutex& mutex, std::chrono::milliseconds wait):
		_mutex(mutex),
		_held(mutex.try_lock_for(wait))
	{
	}

	~Turn()
	{
		if (_held) _mutex.unlock();
	}

	bool held() const
	{
		return _held;
	}

private:
	std::timed_mutex& _mutex;
	bool _held;
};


} // namespace


CommandInput::CommandInput(int fd):
	_fd(fd)
{
	int flags = ::fcntl(_fd, F_GETFL);
	if (flags >= 0) ::fcntl(_fd, F_SETFL, flags | O_NONBLOCK);
}


CommandInput::~CommandInput()
{
	if (_fd >= 0) ::close(_fd);
}


bool CommandInput::begin()
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (_fd < 0 || _closeAsked) return false;
	_writing = true;
	return true;
}


void CommandInput::end()
{
	std::lock_guard<std::mutex> lock(_mutex);
	_writing = false;
	if (_closeAsked && _fd >= 0)
	{
		::close(_fd);
		_fd = -1;
	}
}


CommandInput::Fed CommandInput::feed(std::istream& body, std::chrono::milliseconds stall)
{
	Fed fed;
	Turn turn(_turn, stall);
	if (!turn.held())
	{
		fed.status = Status::TIMEOUT;
		return fed;
	}
	if (!begin())
	{
		fed.status = Status::CLOSED;
		return fed;
	}
	std::vector<char> buffer(CHUNK_BYTES);
	while (fed.status == Status::WRITTEN)
	{
		body.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
		std::streamsize n = body.gcount();
		if (n > 0) fed.status = writeAll(buffer.data(), static_cast<std::size_t>(n), stall, fed.bytes);
		if (body.eof()) break;
		if (!body && fed.status == Status::WRITTEN) fed.status = Status::BODY_ERROR;
	}
	end();
	return fed;
}


CommandInput::Status CommandInput::writeAll(const char* data, std::size_t size, std::chrono::milliseconds stall, std::uint64_t& written)
{
	// Only the writer with the turn gets here, between begin() and end(): the
	// descriptor stays open meanwhile, whatever close() is asked.
	std::size_t done = 0;
	while (done < size)
	{
		ssize_t n = ::write(_fd, data + done, size - done);
		if (n > 0)
		{
			done += static_cast<std::size_t>(n);
			written += static_cast<std::uint64_t>(n);
			continue;
		}
		if (n < 0 && errno == EINTR) continue;
		if (n < 0 && errno == EPIPE) return Status::BROKEN;
		if (n < 0 && errno != EAGAIN) return Status::BROKEN;
		// Full: wait for the command to read, or for its end (POLLERR once no
		// reader is left).
		struct pollfd pfd{_fd, POLLOUT, 0};
		int rc;
		do rc = ::poll(&pfd, 1, static_cast<int>(stall.count()));
		while (rc < 0 && errno == EINTR);
		if (rc == 0) return Status::TIMEOUT;
		if (rc < 0) return Status::BROKEN;
		if ((pfd.revents & (POLLERR | POLLHUP)) && !(pfd.revents & POLLOUT)) return Status::BROKEN;
	}
	return Status::WRITTEN;
}


void CommandInput::close()
{
	std::lock_guard<std::mutex> lock(_mutex);
	_closeAsked = true;
	if (!_writing && _fd >= 0)
	{
		::close(_fd);
		_fd = -1;
	}
}


bool CommandInput::isOpen() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return !_closeAsked;
}


} } // namespace execd::shell
