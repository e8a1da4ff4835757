#pragma once

#include "execd/OutputSplitter.h"
#include "execd/StreamEvent.h"
#include <cstddef>
#include <string>
#include <vector>


namespace execd {


class EXECD_API OutputFilter
	/// Turns the bytes of one output stream of a process (stdout or stderr) into
	/// events, for an OutputPump.
{
public:
	explicit OutputFilter(EventType type);
		/// type is EventType::STDOUT or EventType::STDERR.

	virtual ~OutputFilter();

	virtual void feed(const char* data, std::size_t length, std::vector<StreamEvent>& events) = 0;
		/// Appends the events the bytes complete.

	virtual void finish(std::vector<StreamEvent>& events) = 0;
		/// At the end of the stream: appends what is held back.

	virtual bool done() const;
		/// True once the stream has said all this filter wants of it (a shell
		/// session's end-of-run marker): the pump stops reading it. False here.

	EventType type() const;

protected:
	StreamEvent event(const std::string& text) const;
		/// A stdout or stderr event, as type() says.

private:
	EventType _type;
};


class EXECD_API LineFilter: public OutputFilter
	/// One event per line, by the rules of OutputSplitter (upstream's for
	/// command output).
{
public:
	explicit LineFilter(EventType type, std::size_t maxPiece = 64 * 1024);

	void feed(const char* data, std::size_t length, std::vector<StreamEvent>& events) override;
	void finish(std::vector<StreamEvent>& events) override;

private:
	OutputSplitter _splitter;
	std::vector<std::string> _pieces;
};


class EXECD_API ChunkFilter: public OutputFilter
	/// One event per read, as it came (what language kernels send).
{
public:
	explicit ChunkFilter(EventType type);

	void feed(const char* data, std::size_t length, std::vector<StreamEvent>& events) override;
	void finish(std::vector<StreamEvent>& events) override;
};


} // namespace execd
