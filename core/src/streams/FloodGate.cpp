#include "execd/FloodGate.h"
#include "Poco/Path.h"
#include <cerrno>
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>


namespace execd {


namespace {


std::uint64_t headOf(const FloodGate::Limits& limits)
{
	if (limits.maxBytes == 0) return UINT64_MAX;
	return limits.maxBytes > limits.tailBytes ? limits.maxBytes - limits.tailBytes : limits.maxBytes / 2;
}


bool isOutput(const StreamEvent& event)
{
	return event.type == EventType::STDOUT || event.type == EventType::STDERR;
}


bool continuation(char c)
{
	return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}


std::size_t headCut(const std::string& text, std::size_t room)
	// Where the head ends in text, at most room bytes in: after a line if one
	// ends in the second half of the room, else not inside a UTF-8 character.
{
	if (room == 0) return 0;
	std::size_t eol = text.rfind('\n', room - 1);
	if (eol != std::string::npos && eol + 1 >= room / 2) return eol + 1;
	while (room > 0 && continuation(text[room])) --room;
	return room;
}


std::size_t tailCut(const std::string& text, std::size_t drop)
	// How much of text's beginning to leave out, at least drop bytes: up to the
	// next line's start if that leaves at least half of what would be kept,
	// else to a whole UTF-8 character.
{
	const std::size_t keep = text.size() - drop;
	std::size_t eol = text.find('\n', drop == 0 ? 0 : drop - 1);
	if (eol != std::string::npos && eol + 1 < text.size() && eol + 1 - drop <= keep / 2) return eol + 1;
	while (drop < text.size() && continuation(text[drop])) ++drop;
	return drop;
}


bool isFinal(const StreamEvent& event)
{
	return event.type == EventType::EXECUTION_COMPLETE || event.type == EventType::ERROR;
}


} // namespace


bool FloodGate::Limits::enabled() const
{
	return maxBytes > 0 || maxEventsPerSecond > 0;
}


FloodGate::FloodGate(EventSink& next, const Limits& limits):
	_next(next),
	_limits(limits),
	_headBytes(headOf(limits)),
	_tailLimit(limits.maxBytes == 0 ? limits.tailBytes : static_cast<std::size_t>(limits.maxBytes - headOf(limits))),
	_windowStart(std::chrono::steady_clock::now())
{
}


FloodGate::~FloodGate()
{
	closeSpill();
}


bool FloodGate::openSpill(const std::string& directory, const std::string& name, SpillFrom from)
{
	Poco::Path path(directory);
	path.makeDirectory();
	path.setFileName(name + ".full-output");
	const std::string file = path.toString();
	std::lock_guard<std::mutex> lock(_mutex);
	if (_spillFd >= 0) return false;
	// A new file of execd's own: nothing there already is written through.
	int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) return false;
	_spillFd = fd;
	_spillFrom = from;
	_limits.spillPath = file;
	return true;
}


int FloodGate::spillFd() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _spillFd;
}


void FloodGate::closeSpill(bool teeFailed)
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (_spillFd < 0) return;
	::close(_spillFd);
	_spillFd = -1;
	if (teeFailed) _spillIncomplete = true;
	// Kept only where the stream was cut: a run that streamed everything leaves
	// no file behind.
	if (!_truncating) ::unlink(_limits.spillPath.c_str());
}


void FloodGate::spillLocked(const std::string& text)
{
	if (_spillFrom == SpillFrom::TEE || _spillFd < 0 || _spillIncomplete) return;
	struct iovec parts[2] = {{const_cast<char*>(text.data()), text.size()}, {const_cast<char*>("\n"), 1}};
	// The shell sends an empty line as "\n" (upstream's framing).
	int count = _spillFrom == SpillFrom::EVENT_LINES && text != "\n" ? 2 : 1;
	struct iovec* p = parts;
	while (count > 0)
	{
		ssize_t n = ::writev(_spillFd, p, count);
		if (n < 0 && errno == EINTR) continue;
		if (n < 0 || (n == 0 && p->iov_len > 0))
		{
			_spillIncomplete = true;   // a full disk: the file stops here, and the event says so
			return;
		}
		// What is left of the parts.
		std::size_t done = static_cast<std::size_t>(n);
		while (count > 0 && done >= p->iov_len)
		{
			done -= p->iov_len;
			++p;
			--count;
		}
		if (count > 0)
		{
			p->iov_base = static_cast<char*>(p->iov_base) + done;
			p->iov_len -= done;
		}
	}
}


bool FloodGate::wantsOutcome() const
{
	return _next.wantsOutcome();
}


bool FloodGate::isOpen() const
{
	return _next.isOpen();
}


bool FloodGate::truncating() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _truncating;
}


bool FloodGate::pass(const StreamEvent& event, std::vector<StreamEvent>& out)
{
	if (isFinal(event))
	{
		flushLocked(out);
		out.push_back(event);
		return true;
	}
	if (!isOutput(event))
	{
		out.push_back(event);
		return true;
	}
	spillLocked(event.text);
	if (_flushed)
	{
		// Output after the first final event (a kernel's, after its error): the
		// tail went out already, and this is little.
		out.push_back(event);
		return true;
	}
	if (!_truncating)
	{
		if (_limits.maxEventsPerSecond > 0)
		{
			const auto now = std::chrono::steady_clock::now();
			if (now - _windowStart >= std::chrono::seconds(1))
			{
				_windowStart = now;
				_windowEvents = 0;
			}
			if (++_windowEvents > _limits.maxEventsPerSecond) _truncating = true;
		}
		if (!_truncating && _streamed + event.text.size() <= _headBytes)
		{
			_streamed += event.text.size();
			out.push_back(event);
			return true;
		}
		if (!_truncating)
		{
			// The head ends inside this event (a kernel's come in large chunks):
			// its first part still goes out.
			_truncating = true;
			const std::size_t room = headCut(event.text, static_cast<std::size_t>(_headBytes - _streamed));
			if (room > 0)
			{
				StreamEvent head = event;
				head.text.resize(room);
				_streamed += room;
				out.push_back(std::move(head));
				StreamEvent rest = event;
				rest.text.erase(0, room);
				keepBack(std::move(rest));
				return false;
			}
		}
	}
	keepBack(event);
	return false;
}


void FloodGate::keepBack(StreamEvent event)
{
	// Kept back: the newest tailBytes, the rest is left out. An event larger
	// than the tail on its own keeps its end.
	if (event.text.empty()) return;   // nothing to keep or to count
	const std::size_t room = _tailLimit > EVENT_OVERHEAD ? _tailLimit - EVENT_OVERHEAD : 0;
	if (event.text.size() > room)
	{
		const std::size_t drop = tailCut(event.text, event.text.size() - room);
		_droppedBytes += drop;
		event.text.erase(0, drop);
	}
	if (event.text.empty())
	{
		++_droppedEvents;
		return;
	}
	_tailBytes += event.text.size() + EVENT_OVERHEAD;
	_tail.push_back(std::move(event));
	while (_tailBytes > _tailLimit && !_tail.empty())
	{
		_tailBytes -= _tail.front().text.size() + EVENT_OVERHEAD;
		_droppedBytes += _tail.front().text.size();
		++_droppedEvents;
		_tail.pop_front();
	}
}


void FloodGate::flushLocked(std::vector<StreamEvent>& out)
{
	if (!_truncating || _flushed) return;
	_flushed = true;
	out.push_back(StreamEvent::truncated(Truncation{_droppedBytes, _droppedEvents, _limits.spillPath, !_spillIncomplete}));
	for (StreamEvent& event: _tail)
		out.push_back(std::move(event));
	_tail.clear();
	_tailBytes = 0;
}


void FloodGate::finish()
{
	std::lock_guard<std::mutex> forward(_forwardMutex);
	std::vector<StreamEvent> out;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		flushLocked(out);
	}
	if (!out.empty()) _next.emitAll(out);
}


void FloodGate::emit(const StreamEvent& event)
{
	std::lock_guard<std::mutex> forward(_forwardMutex);
	std::vector<StreamEvent> out;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		pass(event, out);
	}
	if (out.size() == 1)
		_next.emit(out.front());
	else if (!out.empty())
		_next.emitAll(out);
}


void FloodGate::emitAll(const std::vector<StreamEvent>& events)
{
	std::lock_guard<std::mutex> forward(_forwardMutex);
	std::vector<StreamEvent> out;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		for (const StreamEvent& event: events) pass(event, out);
	}
	if (out.size() == 1)
		_next.emit(out.front());
	else if (!out.empty())
		_next.emitAll(out);
}


} // namespace execd
