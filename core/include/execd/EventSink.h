#pragma once

#include "execd/StreamEvent.h"
#include <vector>


namespace execd {


class EXECD_API EventSink
	/// Receives the events of one execution, in order. Thread-safe: executors may
	/// emit from reader threads. emit() never throws because the client went away;
	/// it drops the event and isOpen() turns false.
{
public:
	virtual ~EventSink();

	virtual void emit(const StreamEvent& event) = 0;
		/// Sends the event. The first event of a stream must be "init".

	virtual bool isOpen() const = 0;
		/// False once the client is gone; executors may stop early.

	virtual void emitAll(const std::vector<StreamEvent>& events);
		/// Sends several events that are ready at once (the lines of one read, say)
		/// with a single flush. The default emits them one by one.

	virtual bool wantsOutcome() const;
		/// True when the client reads the final event's RunOutcome (README "Exit
		/// reasons and usage"): an executor need measure its run only then. The
		/// default is false; sinks that pass events on ask the next one.
};


} // namespace execd
