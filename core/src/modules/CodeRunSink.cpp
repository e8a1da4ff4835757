#include "modules/CodeRunSink.h"
#include "execd/RunUsage.h"
#include <map>


namespace execd {


namespace {


std::mutex runsMutex;
std::multimap<std::string, std::atomic<bool>*> runs;   ///< by id: the interrupted flag of each run going on


} // namespace


CodeRunSink::CodeRunSink(EventSink& next):
	_next(next),
	_start(std::chrono::steady_clock::now())
{
}


CodeRunSink::~CodeRunSink()
{
	if (_id.empty()) return;
	std::lock_guard<std::mutex> lock(runsMutex);
	auto range = runs.equal_range(_id);
	for (auto it = range.first; it != range.second; ++it)
	{
		if (it->second == &_interrupted)
		{
			runs.erase(it);
			break;
		}
	}
}


void CodeRunSink::markInterrupted(const std::string& id, bool interrupted)
{
	std::lock_guard<std::mutex> lock(runsMutex);
	auto range = runs.equal_range(id);
	for (auto it = range.first; it != range.second; ++it) *it->second = interrupted;
}


bool CodeRunSink::isOpen() const
{
	return _next.isOpen();
}


bool CodeRunSink::wantsOutcome() const
{
	return true;
}


void CodeRunSink::observe(const StreamEvent& event)
{
	switch (event.type)
	{
	case EventType::INIT:
		if (_id.empty() && !event.text.empty())
		{
			// Registered before the client has the id, so no interrupt is missed.
			_id = event.text;
			std::lock_guard<std::mutex> lock(runsMutex);
			runs.emplace(_id, &_interrupted);
		}
		break;
	case EventType::STDOUT:
	case EventType::STDERR:
		_outputBytes += event.text.size();
		break;
	case EventType::ERROR:
		_failed = true;
		break;
	default:
		break;
	}
}


void CodeRunSink::complete(StreamEvent& event) const
{
	if (!event.outcome)
	{
		event.outcome = RunOutcome();
		event.outcome->reason = "exited";
		event.outcome->exitCode = _failed ? 1 : 0;
	}
	RunOutcome& outcome = *event.outcome;
	if (outcome.wallMillis == 0)
		outcome.wallMillis = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - _start).count();
	if (outcome.outputBytes == 0) outcome.outputBytes = _outputBytes;
	// Only a plain end is explained further: a reason of the executor's own
	// (oom_killed, timeout, ...) stands.
	const bool plain = outcome.reason == "exited" || outcome.reason == "signaled";
	const bool clean = outcome.reason == "exited" && outcome.exitCode.value_or(1) == 0;
	if (plain && _failed && _interrupted)
	{
		outcome.reason = "interrupted";
		outcome.exitCode.reset();
	}
	else if (plain && (_failed || !clean) && RunUsage::daemonStopping())
	{
		outcome.reason = "daemon_shutdown";
		outcome.exitCode.reset();
	}
}


void CodeRunSink::emit(const StreamEvent& event)
{
	// Held while the event is passed on: events leave in the order counted.
	std::lock_guard<std::mutex> lock(_mutex);
	observe(event);
	if (event.type != EventType::EXECUTION_COMPLETE)
	{
		_next.emit(event);
		return;
	}
	StreamEvent last = event;
	complete(last);
	_next.emit(last);
}


void CodeRunSink::emitAll(const std::vector<StreamEvent>& events)
{
	std::lock_guard<std::mutex> lock(_mutex);
	bool final = false;
	for (const StreamEvent& event: events)
	{
		observe(event);
		final = final || event.type == EventType::EXECUTION_COMPLETE;
	}
	if (!final)
	{
		_next.emitAll(events);
		return;
	}
	std::vector<StreamEvent> copy = events;
	for (StreamEvent& event: copy)
		if (event.type == EventType::EXECUTION_COMPLETE) complete(event);
	_next.emitAll(copy);
}


} // namespace execd
