#pragma once

#include "execd/EventSink.h"
#include "execd/OutputFilter.h"
#include "execd/Subprocess.h"
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>


namespace execd {


class EXECD_API OutputPump
	/// Carries the output of a Subprocess to an EventSink while it runs: one
	/// thread waits for stdout, stderr, the process's exit (its exit
	/// descriptor), an optional watched descriptor and the deadline at once, so
	/// nothing is polled for and nothing waits longer than it must.
	///
	/// Each read of a stream goes through the stream's OutputFilter (lines by
	/// default) and its events to the sink with one flush (EventSink::emitAll):
	/// a client that reads slowly slows the process down.
	///
	/// A run ends when the process exits (or, with EndsWith::STREAMS, when both
	/// streams have ended), when the watcher says so, or after a stop. A stop
	/// comes with the deadline, with the client gone (WhenClientGone::STOP) or
	/// from the watcher; its action is SIGKILL to the process group unless
	/// onStop() set another.
	///
	/// A client that is gone (EventSink::isOpen() false) is, by default, no
	/// reason to stop (the contract lets a command run on): the pump discards
	/// then, emptying the pipes, enlarged to DISCARD_PIPE_BYTES, into /dev/null
	/// (splice, no copy) at most once per stream every DISCARD_PACE, without
	/// filters or events. A process writing flat out then costs a few per cent
	/// of a core.
	///
	/// The pump borrows the process and the sink; it closes the process's pipes
	/// at their end of stream. Not thread-safe: one thread runs it.
{
public:
	enum class WhenClientGone
	{
		DISCARD,        ///< keep the process, drop its output cheaply
		KEEP_READING,   ///< feed the filters as before (a filter needs to see everything)
		STOP            ///< stop the run (checked at least once a second)
	};

	enum class EndsWith
	{
		EXIT,           ///< the process's exit (what is still in the pipes is finish()'s)
		STREAMS         ///< the end of both streams (EOF or OutputFilter::done()); an exit takes the rest first
	};

	enum class End
	{
		EXITED,         ///< the process exited
		STREAMS_ENDED,  ///< both streams ended, the process runs on
		WATCHER,        ///< the watcher returned Action::END
		STOPPED,        ///< stopped, and the stop grace passed
		FAILED          ///< poll() failed
	};

	enum class Stop
	{
		NONE,
		DEADLINE,
		CLIENT_GONE,
		REQUESTED       ///< by the watcher (Action::STOP)
	};

	enum class Action
	{
		CONTINUE,
		STOP,
		END
	};

	struct Options
	{
		std::size_t readChunkBytes = 64 * 1024;
		std::optional<std::chrono::steady_clock::time_point> deadline;
		WhenClientGone whenClientGone = WhenClientGone::DISCARD;
		EndsWith endsWith = EndsWith::EXIT;
		std::optional<std::chrono::milliseconds> stopGrace;
			///< how long a run goes on after the stop action at most (0: it ends
			///< with the stop); unset: until the (killed) process exits
		bool emitAfterStop = true;
			///< false: what the filters make after the stop action is not sent
		int teeFd = -1;
			///< a file that gets every byte read from stdout and stderr, in the
			///< order read (a flood policy's complete output); -1: none
	};

	static constexpr std::size_t DISCARD_PIPE_BYTES = 1024 * 1024;
	static constexpr std::chrono::milliseconds DISCARD_PACE{2};
	static constexpr std::size_t TAIL_BYTES = 4 * 1024 * 1024;
		///< the most drain() and finish() take from each pipe: a process the
		///< command left behind may keep writing

	OutputPump(Subprocess& process, EventSink& sink, const Options& options);
		/// Lines (LineFilter) on both streams until setFilters().
	~OutputPump();

	OutputPump(const OutputPump&) = delete;
	OutputPump& operator = (const OutputPump&) = delete;

	void setFilters(std::unique_ptr<OutputFilter> out, std::unique_ptr<OutputFilter> err);

	void watch(int fd, std::function<Action()> onReadable);
		/// Also waits for fd (a control pipe, an interrupt eventfd): when it is
		/// readable, or at its end (POLLHUP, POLLERR: a read then returns 0 or
		/// fails), onReadable() runs on the pump's thread and says what next.

	void onStop(std::function<void()> action);
		/// What a stop does instead of SIGKILL to the group. It may call drain().

	End run();

	void drain();
		/// Takes what the pipes hold now, up to TAIL_BYTES each, without waiting
		/// (nothing is left unsent behind an event that follows).

	void finish();
		/// After run(): drain(), then what the filters hold back (nothing when
		/// discarding).

	Stop stopped() const;
		/// Why the run was stopped, NONE if it was not.

	bool discarding() const;
		/// True once the sink was found closed (WhenClientGone::DISCARD).

	bool teeFailed() const;
		/// True when a write to Options::teeFd failed: teeing stopped there, the
		/// file holds what came before.

	std::uint64_t bytesRead() const;
		/// What was read from stdout and stderr so far, discarded output included.

private:
	struct Stream
	{
		int fd = -1;
		std::unique_ptr<OutputFilter> filter;
		bool ended = false;
	};

	int pollTimeout() const;
	bool checkStop();
	void stop(Stop reason);
	void readReady(Stream& stream, short events);
	bool pump(Stream& stream, std::size_t budget);
	bool readEvents(Stream& stream, std::size_t budget);
	bool discard(Stream& stream, std::size_t budget);
	void send();
	void startDiscarding();
	void close(Stream& stream);
	void pace() const;
	void tee(const char* data, std::size_t size);
	bool streamsEnded() const;

	Subprocess& _process;
	EventSink& _sink;
	Options _options;
	Stream _out;
	Stream _err;
	int _watched = -1;
	std::function<Action()> _onReadable;
	std::function<void()> _onStop;
	std::vector<char> _buffer;
	std::vector<StreamEvent> _events;
	Stop _stopped = Stop::NONE;
	std::chrono::steady_clock::time_point _stoppedAt;
	bool _muted = false;
	bool _discarding = false;
	int _devNull = -1;
	std::uint64_t _bytesRead = 0;
	bool _teeFailed = false;
};


} // namespace execd
