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
	/// the tail follows. An event across the head's end sends its first part
	/// (after a line, else between UTF-8 characters), and one larger than the
	/// tail keeps its end. Other events pass at once. Memory stays bounded by the
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

	~FloodGate() override;
		/// Closes the spill file (closeSpill()).

	enum class SpillFrom
		/// What goes into the spill file.
	{
		TEE,           ///< the caller writes the raw output into spillFd()
		EVENT_TEXT,    ///< the gate writes each output event's text (pieces with their own line ends: a kernel's)
		EVENT_LINES    ///< the gate writes each output event's text and a '\n' (one line each: the shell's)
	};

	bool openSpill(const std::string& directory, const std::string& name, SpillFrom from);
		/// Creates <directory>/<name>.full-output (mode 0600) for the complete
		/// output, and names it in the truncated event. False, and no spill file,
		/// when it cannot be created, also when it exists already (the event then
		/// has no spill_path), or when one is open.

	int spillFd() const;
		/// The spill file's descriptor; -1 when none is open.

	void closeSpill(bool teeFailed = false);
		/// Closes the spill file, and removes it when the stream was not cut (the
		/// run streamed everything). teeFailed: the caller's writes into spillFd()
		/// failed part way (the truncated event says "spill_complete":false).

	// EventSink
	void emit(const StreamEvent& event) override;
	void emitAll(const std::vector<StreamEvent>& events) override;
	bool isOpen() const override;
	bool wantsOutcome() const override;

	bool truncating() const;

	void finish();
		/// The run ends without a final event (its stream ends in an error of
		/// another kind): the truncated event and the tail go out now.

	static constexpr std::size_t EVENT_OVERHEAD = sizeof(StreamEvent) + 32;
		///< what a held-back event costs besides its text, counted in the tail

private:
	bool pass(const StreamEvent& event, std::vector<StreamEvent>& out);
		// Sorts one event: appended to out to go now, or kept back.
	void keepBack(StreamEvent event);
		// Into the tail, the oldest left out past its bound.
	void flushLocked(std::vector<StreamEvent>& out);
	void spillLocked(const std::string& text);

	EventSink& _next;
	Limits _limits;
	const std::uint64_t _headBytes;
	const std::size_t _tailLimit;
	std::mutex _forwardMutex;   ///< held from sorting an event to passing it on: events leave in order
	mutable std::mutex _mutex;
	bool _truncating = false;
	bool _flushed = false;
	bool _spillIncomplete = false;
	int _spillFd = -1;
	SpillFrom _spillFrom = SpillFrom::TEE;
	std::uint64_t _streamed = 0;
	std::uint64_t _droppedBytes = 0;
	std::uint64_t _droppedEvents = 0;
	std::deque<StreamEvent> _tail;
	std::size_t _tailBytes = 0;
	std::chrono::steady_clock::time_point _windowStart;
	std::uint32_t _windowEvents = 0;
};


} // namespace execd
