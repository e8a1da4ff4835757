#include "execd/FloodGate.h"


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
		if (!_truncating && _streamed + event.text.size() > _headBytes) _truncating = true;
		if (!_truncating)
		{
			_streamed += event.text.size();
			out.push_back(event);
			return true;
		}
	}
	// Kept back: the newest tailBytes, the rest is left out.
	_tail.push_back(event);
	_tailBytes += event.text.size() + EVENT_OVERHEAD;
	while (_tailBytes > _tailLimit && !_tail.empty())
	{
		_tailBytes -= _tail.front().text.size() + EVENT_OVERHEAD;
		_droppedBytes += _tail.front().text.size();
		++_droppedEvents;
		_tail.pop_front();
	}
	return false;
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


void FloodGate::spillIncomplete()
{
	std::lock_guard<std::mutex> lock(_mutex);
	_spillIncomplete = true;
}


void FloodGate::emit(const StreamEvent& event)
{
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
