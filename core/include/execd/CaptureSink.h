#pragma once

#include "execd/EventSink.h"
#include <cstddef>
#include <string>


namespace execd {


class EXECD_API CaptureSink: public EventSink
	/// Keeps the start of the stderr text that passes through it (a compiler's
	/// messages, a runtime's panic, why an interpreter did not start) and hands
	/// every event on to another sink, or to none. Open while that sink is (always,
	/// without one).
{
public:
	explicit CaptureSink(EventSink* pNext = nullptr, std::size_t keepBytes = 64 * 1024);

	void emit(const StreamEvent& event) override;
	void emitAll(const std::vector<StreamEvent>& events) override;
	bool isOpen() const override;
	bool wantsOutcome() const override;

	const std::string& errors() const;
		/// The stderr text so far, at most keepBytes (cut at a read's end).

private:
	void keep(const StreamEvent& event);

	EventSink* _pNext;
	std::size_t _keepBytes;
	std::string _errors;
};


} // namespace execd
