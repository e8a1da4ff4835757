#pragma once

#include "execd/StreamEvent.h"


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
};


} // namespace execd
