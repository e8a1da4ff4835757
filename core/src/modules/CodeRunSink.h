#pragma once

#include "execd/EventSink.h"
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>


namespace execd {


class CodeRunSink: public EventSink
	/// Between a language's executor and the stream of a /code run, when its
	/// client asked for exit details: counts the run's output (the text of its
	/// stdout and stderr events), notes whether it failed (an error event) or
	/// its context was interrupted (DELETE /code?id=, markInterrupted()), and
	/// completes the RunOutcome of its execution_complete event with what the
	/// executor left out:
	///
	///   - no outcome at all: exited, exit_code 0, or 1 after an error event;
	///   - no wall_ms: the time since the request; no output_bytes: the count;
	///   - a failed run of an interrupted context: interrupted, without an exit
	///     code; one that failed while execd shuts down: daemon_shutdown.
{
public:
	explicit CodeRunSink(EventSink& next);
	~CodeRunSink() override;

	// EventSink
	void emit(const StreamEvent& event) override;
	void emitAll(const std::vector<StreamEvent>& events) override;
	bool isOpen() const override;
	bool wantsOutcome() const override;

	static void markInterrupted(const std::string& id, bool interrupted);
		/// The context (or command, or session) with that id is being interrupted:
		/// the run now going on in it, if any, counts as interrupted; false takes
		/// that back (the interrupt failed).

private:
	void observe(const StreamEvent& event);
		/// Counts the event.
	void complete(StreamEvent& event) const;
		/// Completes the final event's outcome.

	EventSink& _next;
	const std::chrono::steady_clock::time_point _start;
	std::string _id;   ///< the init event's text, registered for markInterrupted()
	std::mutex _mutex;   ///< executors may emit from several threads; held while passing events on
	std::atomic<bool> _interrupted{false};
	bool _failed = false;
	std::uint64_t _outputBytes = 0;
};


} // namespace execd
