#include "execd/OutputPump.h"
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>


namespace execd {


namespace {


using Clock = std::chrono::steady_clock;


int millisUntil(Clock::time_point when)
{
	auto left = std::chrono::duration_cast<std::chrono::milliseconds>(when - Clock::now()).count();
	return static_cast<int>(std::clamp<long long>(left, 0, 3600000));
}


constexpr int CLIENT_CHECK_MILLIS = 1000;


} // namespace


OutputPump::OutputPump(Subprocess& process, EventSink& sink, const Options& options):
	_process(process),
	_sink(sink),
	_options(options),
	_buffer(std::max<std::size_t>(options.readChunkBytes, 4096))
{
	_out.fd = process.output();
	_out.filter = std::make_unique<LineFilter>(EventType::STDOUT);
	_err.fd = process.errors();
	_err.filter = std::make_unique<LineFilter>(EventType::STDERR);
}


OutputPump::~OutputPump()
{
	if (_devNull >= 0) ::close(_devNull);
}


void OutputPump::setFilters(std::unique_ptr<OutputFilter> out, std::unique_ptr<OutputFilter> err)
{
	_out.filter = std::move(out);
	_err.filter = std::move(err);
}


void OutputPump::watch(int fd, std::function<Action()> onReadable)
{
	_watched = fd;
	_onReadable = std::move(onReadable);
}


void OutputPump::onStop(std::function<void()> action)
{
	_onStop = std::move(action);
}


OutputPump::End OutputPump::run()
{
	for (;;)
	{
		// A stream at its end leaves the poll set (-1 is ignored), or poll would
		// return at once, again and again.
		struct pollfd fds[4] = {
			{_out.ended ? -1 : _out.fd, POLLIN, 0},
			{_err.ended ? -1 : _err.fd, POLLIN, 0},
			{_process.exitDescriptor(), POLLIN, 0},
			{_watched, POLLIN, 0}};
		int rc = ::poll(fds, 4, pollTimeout());
		if (rc < 0 && errno != EINTR) return End::FAILED;
		if (rc > 0 && (fds[3].revents & (POLLIN | POLLHUP | POLLERR)))
		{
			// Readable, or at its end (a pipe whose writer closed): the watcher reads and says.
			Action action = _onReadable();
			if (action == Action::END) return End::WATCHER;
			if (action == Action::STOP && _stopped == Stop::NONE) stop(Stop::REQUESTED);
		}
		if (checkStop()) return End::STOPPED;
		// Somebody reads again (a follower of a command whose client left): what
		// is read from here on is streamed again.
		if (_discarding && _options.whenClientGone == WhenClientGone::DISCARD && _sink.isOpen()) _discarding = false;
		if (rc > 0)
		{
			readReady(_out, fds[0].revents);
			readReady(_err, fds[1].revents);
		}
		if (rc > 0 && (fds[2].revents & POLLIN))
		{
			if (_options.endsWith == EndsWith::EXIT) return End::EXITED;
			// Whatever is left, then the ends of the lines.
			finish();
			return End::EXITED;
		}
		if (_options.endsWith == EndsWith::STREAMS && streamsEnded()) return End::STREAMS_ENDED;
		if (_discarding) pace();
	}
}


int OutputPump::pollTimeout() const
{
	// Never longer than the time left, so that the deadline holds whatever the
	// process writes (or does not).
	int timeout = -1;
	auto sooner = [&timeout](int millis) { timeout = timeout < 0 ? millis : std::min(timeout, millis); };
	if (_stopped == Stop::NONE)
	{
		if (_options.deadline) sooner(millisUntil(*_options.deadline));
		if (_options.whenClientGone == WhenClientGone::STOP) sooner(CLIENT_CHECK_MILLIS);
	}
	else if (_options.stopGrace)
	{
		sooner(millisUntil(_stoppedAt + *_options.stopGrace));
	}
	return timeout;
}


bool OutputPump::checkStop()
{
	// True when the run is over: stopped, and the grace after it passed.
	if (_stopped == Stop::NONE)
	{
		if (_options.deadline && Clock::now() >= *_options.deadline)
			stop(Stop::DEADLINE);
		else if (_options.whenClientGone == WhenClientGone::STOP && !_sink.isOpen())
			stop(Stop::CLIENT_GONE);
	}
	return _stopped != Stop::NONE && _options.stopGrace && Clock::now() >= _stoppedAt + *_options.stopGrace;
}


void OutputPump::stop(Stop reason)
{
	// The grace runs from the end of the stop action: a process it froze (a
	// session's shell) can only begin to wind down then.
	_stopped = reason;
	if (_onStop)
		_onStop();
	else
		_process.signalGroup(SIGKILL);
	_stoppedAt = Clock::now();
	_muted = !_options.emitAfterStop;
}


void OutputPump::readReady(Stream& stream, short events)
{
	if ((events & (POLLIN | POLLHUP | POLLERR)) && !pump(stream, 0)) close(stream);
}


void OutputPump::drain()
{
	for (Stream* s: {&_out, &_err})
	{
		if (!s->ended && s->fd >= 0 && !pump(*s, TAIL_BYTES)) close(*s);
	}
}


void OutputPump::finish()
{
	drain();
	if (_discarding) return;
	_events.clear();
	for (Stream* s: {&_out, &_err})
	{
		if (!s->ended && !s->filter->done()) s->filter->finish(_events);
		s->ended = true;
	}
	send();
}


OutputPump::Stop OutputPump::stopped() const
{
	return _stopped;
}


bool OutputPump::discarding() const
{
	return _discarding;
}


bool OutputPump::pump(Stream& stream, std::size_t budget)
{
	// budget 0: one read, as while the process runs; else read until the pipe is
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
			_bytesRead += static_cast<std::uint64_t>(n);
			if (_options.teeFd >= 0) tee(_buffer.data(), static_cast<std::size_t>(n));
			// Every event of one read goes out with one flush: nothing waits longer
			// than it would with a flush per line, and a flood costs one write per
			// read instead of one per line.
			_events.clear();
			stream.filter->feed(_buffer.data(), static_cast<std::size_t>(n), _events);
			send();
			if (stream.filter->done())
			{
				stream.ended = true;
				return true;
			}
			if (_options.whenClientGone == WhenClientGone::DISCARD && !_sink.isOpen())
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


void OutputPump::send()
{
	if (_events.empty() || _muted) return;
	if (_events.size() == 1)
		_sink.emit(_events.front());
	else
		_sink.emitAll(_events);
}


bool OutputPump::discard(Stream& stream, std::size_t budget)
{
	std::size_t taken = 0;
	for (;;)
	{
		// splice() moves the pipe's pages to /dev/null without copying them;
		// read() into the buffer where splice is refused.
		ssize_t n = -1;
		if (_devNull >= 0 && _options.teeFd < 0)
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
			if (n > 0 && _options.teeFd >= 0) tee(_buffer.data(), static_cast<std::size_t>(n));
		}
		if (n == 0) return false;
		if (n < 0)
		{
			if (errno == EINTR) continue;
			return errno == EAGAIN || errno == EWOULDBLOCK;
		}
		taken += static_cast<std::size_t>(n);
		_bytesRead += static_cast<std::uint64_t>(n);
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
	// At its end of stream: the ends of its lines.
	if (!_discarding && !stream.filter->done())
	{
		_events.clear();
		stream.filter->finish(_events);
		send();
	}
	if (&stream == &_out)
		_process.closeOutput();
	else
		_process.closeErrors();
	stream.fd = -1;
	stream.ended = true;
}


bool OutputPump::streamsEnded() const
{
	return (_out.ended || _out.fd < 0) && (_err.ended || _err.fd < 0);
}


void OutputPump::pace() const
{
	// Nobody reads this output: let it accumulate for a moment, so that a process
	// writing flat out costs a few large reads per second instead of a core. Its
	// exit and its deadline still end the wait at once.
	int timeout = static_cast<int>(DISCARD_PACE.count());
	if (_options.deadline && _stopped == Stop::NONE) timeout = std::min(timeout, millisUntil(*_options.deadline));
	struct pollfd pfd{_process.exitDescriptor(), POLLIN, 0};
	::poll(&pfd, 1, timeout);
}


std::uint64_t OutputPump::bytesRead() const
{
	return _bytesRead;
}


void OutputPump::tee(const char* data, std::size_t size)
{
	// A regular file: a write blocks only as long as the disk takes. After a
	// failure (a full disk) nothing more is written: no holes.
	while (size > 0 && !_teeFailed)
	{
		ssize_t n = ::write(_options.teeFd, data, size);
		if (n < 0 && errno == EINTR) continue;
		if (n <= 0)
		{
			_teeFailed = true;
			return;
		}
		data += n;
		size -= static_cast<std::size_t>(n);
	}
}


bool OutputPump::teeFailed() const
{
	return _teeFailed;
}


} // namespace execd
