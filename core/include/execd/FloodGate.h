#pragma once

#include "execd/EventSink.h"
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>


namespace execd {


class EXECD_API FloodGate: public EventSink
	/// A run's output-flood policy, between its executor and its stream: once
	/// the run has streamed its head (maxBytes less the tail's share) or emitted
	/// more than maxEventsPerSecond output events in a second, its stdout and
	/// stderr events stop going out; the newest tailBytes of them are kept. Just
	/// before the final event (execution_complete or error), one "truncated"
	/// event says how much was left out and where the complete output is, then
	/// the tail follows. Other events pass at once. Memory stays bounded by the
	/// tail (its events' text and EVENT_OVERHEAD each); a slow client still
	/// slows the run down (its writes block).
{
public:
	struct Limits
	{
		std::uint64_t maxBytes = 0;           ///< of output text streamed; 0: no bound
		std::uint32_t maxEventsPerSecond = 0; ///< 0: no bound
		std::size_t tailBytes = 64 * 1024;    ///< kept for the end (within maxBytes when that is set)
		std::string spillPath;                ///< where the complete output is, for the truncated event

		bool enabled() const;
	};

	FloodGate(EventSink& next, const Limits& limits);

	// EventSink
	void emit(const StreamEvent& event) override;
	void emitAll(const std::vector<StreamEvent>& events) override;
	bool isOpen() const override;

	bool truncating() const;

	void spillIncomplete();
		/// The spill file does not hold everything: the truncated event says so
		/// ("spill_complete":false).

	static constexpr std::size_t EVENT_OVERHEAD = sizeof(StreamEvent) + 32;
		///< what a held-back event costs besides its text, counted in the tail

private:
	bool pass(const StreamEvent& event, std::vector<StreamEvent>& out);
		// Sorts one event: appended to out to go now, or kept back.
	void flushLocked(std::vector<StreamEvent>& out);

	EventSink& _next;
	const Limits _limits;
	const std::uint64_t _headBytes;
	const std::size_t _tailLimit;
	mutable std::mutex _mutex;
	bool _truncating = false;
	bool _flushed = false;
	bool _spillIncomplete = false;
	std::uint64_t _streamed = 0;
	std::uint64_t _droppedBytes = 0;
	std::uint64_t _droppedEvents = 0;
	std::deque<StreamEvent> _tail;
	std::size_t _tailBytes = 0;
	std::chrono::steady_clock::time_point _windowStart;
	std::uint32_t _windowEvents = 0;
};


} // namespace execd
