#include "execd/CaptureSink.h"


namespace execd {


CaptureSink::CaptureSink(EventSink* pNext, std::size_t keepBytes):
	_pNext(pNext),
	_keepBytes(keepBytes)
{
}


void CaptureSink::emit(const StreamEvent& event)
{
	keep(event);
	if (_pNext) _pNext->emit(event);
}


void CaptureSink::emitAll(const std::vector<StreamEvent>& events)
{
	for (const StreamEvent& event: events)
		keep(event);
	if (_pNext) _pNext->emitAll(events);
}


bool CaptureSink::wantsOutcome() const
{
	return _pNext && _pNext->wantsOutcome();
}


bool CaptureSink::isOpen() const
{
	return !_pNext || _pNext->isOpen();
}


const std::string& CaptureSink::errors() const
{
	return _errors;
}


void CaptureSink::keep(const StreamEvent& event)
{
	if (event.type == EventType::STDERR && _errors.size() < _keepBytes) _errors += event.text;
}


} // namespace execd
