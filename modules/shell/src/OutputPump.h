#pragma once

#include "ChildProcess.h"
#include "OutputSplitter.h"
#include "execd/EventSink.h"
#include <chrono>
#include <cstddef>
#include <optional>
#include <vector>


namespace execd {
namespace shell {


class OutputPump
	/// Carries the output of one foreground command to its sink until the command
	/// exits, waiting for stdout, stderr, the exit (ChildProcess::exitFd) and the deadline at once.
	///
	/// While the sink is open, each read becomes the events of its lines, sent with
	/// one flush; a client that reads slowly slows the command down. Once the sink
	/// is closed (the client left, or read nothing for the send timeout), the pump
	/// discards: the pipes, enlarged to DISCARD_PIPE_BYTES, are emptied into
	/// /dev/null (splice, no copy) without splitting or events, at most once per
	/// stream every DISCARD_PACE. The command runs on to its end or its timeout, as
	/// the contract wants, and costs execd a few per cent of a core even when it
	/// writes as fast as it can (it waits for the pipe then, as for a slow client).
	/// The pump borrows the child and the sink; it closes the child's pipes at
	/// end of stream.
{
public:
	static constexpr std::size_t DISCARD_PIPE_BYTES = 1024 * 1024;
	static constexpr std::chrono::milliseconds DISCARD_PACE{2};
	static constexpr std::size_t TAIL_BYTES = 4 * 1024 * 1024;
		///< what is taken from each pipe after the exit: a process the command
		///< left behind may keep writing

	OutputPump(ChildProcess& child, EventSink& sink, std::size_t readChunkBytes);
	~OutputPump();

	OutputPump(const OutputPump&) = delete;
	OutputPump& operator = (const OutputPump&) = delete;

	bool run(std::optional<std::chrono::steady_clock::time_point> deadline);
		/// Returns once the command exited: true if it was killed (SIGKILL to its
		/// group) because the deadline passed.

	void finish();
		/// After run(): takes what the pipes still hold, up to TAIL_BYTES each, and
		/// sends the unterminated last lines (nothing when discarding).

	bool discarding() const;
		/// True once the sink was found closed.

private:
	struct Stream
	{
		int fd = -1;
		EventType type;
		OutputSplitter splitter;
	};

	bool pump(Stream& stream, std::size_t budget);
	bool readEvents(Stream& stream, std::size_t budget);
	bool discard(Stream& stream, std::size_t budget);
	void startDiscarding();
	void close(Stream& stream);
	void pace(std::optional<std::chrono::steady_clock::time_point> deadline) const;

	ChildProcess& _child;
	EventSink& _sink;
	Stream _out;
	Stream _err;
	std::vector<char> _buffer;
	std::vector<std::string> _pieces;
	std::vector<StreamEvent> _batch;
	bool _discarding = false;
	int _devNull = -1;
};


} } // namespace execd::shell
