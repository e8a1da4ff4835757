#include "execd/OutputFilter.h"


namespace execd {


OutputFilter::OutputFilter(EventType type):
	_type(type)
{
}


OutputFilter::~OutputFilter() = default;


bool OutputFilter::done() const
{
	return false;
}


EventType OutputFilter::type() const
{
	return _type;
}


StreamEvent OutputFilter::event(const std::string& text) const
{
	return _type == EventType::STDERR ? StreamEvent::stderrText(text) : StreamEvent::stdoutText(text);
}


LineFilter::LineFilter(EventType type, std::size_t maxPiece):
	OutputFilter(type),
	_splitter(maxPiece)
{
}


void LineFilter::feed(const char* data, std::size_t length, std::vector<StreamEvent>& events)
{
	_pieces.clear();
	_splitter.feed(data, length, _pieces);
	for (const std::string& piece: _pieces)
		events.push_back(event(piece));
}


void LineFilter::finish(std::vector<StreamEvent>& events)
{
	_pieces.clear();
	_splitter.finish(_pieces);
	for (const std::string& piece: _pieces)
		events.push_back(event(piece));
}


ChunkFilter::ChunkFilter(EventType type):
	OutputFilter(type)
{
}


void ChunkFilter::feed(const char* data, std::size_t length, std::vector<StreamEvent>& events)
{
	if (length > 0) events.push_back(event(std::string(data, length)));
}


void ChunkFilter::finish(std::vector<StreamEvent>&)
{
}


} // namespace execd
