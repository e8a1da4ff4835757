#include "OutputPump.h"
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>


namespace execd {
namespace shell {


namespace {


int millisUntil(std::chrono::steady_clock::time_point deadline)
{
	auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
	return static_cast<int>(std::clamp<long long>(left, 0, 3600000));
}


} // namespace


OutputPump::OutputPump(ChildProcess& child, EventSink& sink, std::size_t readChunkBytes):
	_child(child),
	_sink(sink),
	_buffer(std::max<std::size_t>(readChunkBytes, 4096))
{
	_out.fd = child.stdoutFd();
	_out.type = EventType::STDOUT;
	_err.fd = child.stderrFd();
	_err.type = EventType::STDERR;
}


OutputPump::~OutputPump()
{
	if (_devNull >= 0) ::close(_devNull);
}


bool OutputPump::run(std::optional<std::chrono::steady_clock::time_point> deadline)
{
	bool killed = false;
	for (;;)
	{
		struct pollfd fds[3];
		nfds_t count = 0;
		Stream* streams[2] = {nullptr, nullptr};
		for (Stream* s: {&_out, &_err})
		{
			if (s->fd < 0) continue;
			streams[count] = s;
			fds[count++] = {s->fd, POLLIN, 0};
		}
		const nfds_t pidIndex = count;
		fds[count++] = {_child.exitFd(), POLLIN, 0};
		// Reads never wait longer than the time left, so the deadline holds
		// whatever the command writes (or does not).
		int timeout = deadline && !killed ? millisUntil(*deadline) : -1;
		int rc = ::poll(fds, count, timeout);
		if (rc < 0 && errno != EINTR) return killed;
		if (deadline && !killed && std::chrono::steady_clock::now() >= *deadline)
		{
			_child.signalGroup(SIGKILL);
			killed = true;
		}
		if (rc <= 0) continue;
		for (nfds_t i = 0; i < pidIndex; ++i)
		{
			if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) && !pump(*streams[i], 0))
				close(*streams[i]);
		}
		if (fds[pidIndex].revents & POLLIN) return killed;
		if (_discarding) pace(killed ? std::nullopt : deadline);
	}
}


void OutputPump::finish()
{
	for (Stream* s: {&_out, &_err})
	{
		if (s->fd >= 0 && !pump(*s, TAIL_BYTES)) close(*s);
	}
	if (_discarding) return;
	for (Stream* s: {&_out, &_err})
	{
		_pieces.clear();
		s->splitter.finish(_pieces);
		for (std::string& piece: _pieces)
			_sink.emit(s->type == EventType::STDOUT ? StreamEvent::stdoutText(piece) : StreamEvent::stderrText(piece));
	}
}


bool OutputPump::discarding() const
{
	return _discarding;
}


bool OutputPump::pump(Stream& stream, std::size_t budget)
{
	// budget 0: one read, as while the command runs; else read until the pipe is
	// empty or budget bytes went. False at end of stream.
	return _discarding ? discard(stream, budget) : readEvents(stream, budget);
}


bool OutputPump::readEvents(Stream& stream, std::size_t budget)
{
	for (;;)
	{
		ssize_t n = ::read(stream.fd, _buffer.data(), _buffer.size());
		if (n > 0)
		{
			// Every line of one read goes out with one flush: nothing waits longer
			// than it would with a flush per line, and a flood costs one write per
			// read instead of one per line.
			_pieces.clear();
			stream.splitter.feed(_buffer.data(), static_cast<std::size_t>(n), _pieces);
			_batch.clear();
			for (std::string& piece: _pieces)
				_batch.push_back(stream.type == EventType::STDOUT ? StreamEvent::stdoutText(piece) : StreamEvent::stderrText(piece));
			_sink.emitAll(_batch);
			if (!_sink.isOpen())
			{
				startDiscarding();
				return budget == 0 || discard(stream, budget);
			}
			if (budget <= static_cast<std::size_t>(n)) return true;
			budget -= static_cast<std::size_t>(n);
			continue;
		}
		if (n == 0) return false;
		if (errno == EINTR) continue;
		return errno == EAGAIN || errno == EWOULDBLOCK;
	}
}


bool OutputPump::discard(Stream& stream, std::size_t budget)
{
	std::size_t taken = 0;
	for (;;)
	{
		// splice() moves the pipe's pages to /dev/null without copying them;
		// read() into the buffer where splice is refused.
		ssize_t n = -1;
		if (_devNull >= 0)
		{
			n = ::splice(stream.fd, nullptr, _devNull, nullptr, DISCARD_PIPE_BYTES, SPLICE_F_NONBLOCK);
			if (n < 0 && errno == EINVAL)
			{
				::close(_devNull);
				_devNull = -1;
				continue;
			}
		}
		else
		{
			n = ::read(stream.fd, _buffer.data(), _buffer.size());
		}
		if (n == 0) return false;
		if (n < 0)
		{
			if (errno == EINTR) continue;
			return errno == EAGAIN || errno == EWOULDBLOCK;
		}
		taken += static_cast<std::size_t>(n);
		if (taken >= budget) return true;
	}
}


void OutputPump::startDiscarding()
{
	if (_discarding) return;
	_discarding = true;
	// A larger pipe holds more between two paced reads; refused (EPERM beyond
	// /proc/sys/fs/pipe-max-size or the user's pipe quota), the pump just wakes
	// up more often for the same output.
	for (Stream* s: {&_out, &_err})
	{
		if (s->fd >= 0) ::fcntl(s->fd, F_SETPIPE_SZ, static_cast<int>(DISCARD_PIPE_BYTES));
	}
	_devNull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
}


void OutputPump::close(Stream& stream)
{
	if (&stream == &_out)
		_child.closeStdout();
	else
		_child.closeStderr();
	stream.fd = -1;
}


void OutputPump::pace(std::optional<std::chrono::steady_clock::time_point> deadline) const
{
	// Nobody reads this output: let it accumulate for a moment, so that a command
	// writing flat out costs a few large reads per second instead of a core. Its
	// exit and its deadline still end the wait at once.
	int timeout = static_cast<int>(DISCARD_PACE.count());
	if (deadline) timeout = std::min(timeout, millisUntil(*deadline));
	struct pollfd pfd{_child.exitFd(), POLLIN, 0};
	::poll(&pfd, 1, timeout);
}


} } // namespace execd::shell
