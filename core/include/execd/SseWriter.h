#pragma once

#include "execd/EventSink.h"
#include "execd/RunJournal.h"
#include "Poco/Net/HTTPServerRequest.h"
#include "Poco/Net/HTTPServerResponse.h"
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <ostream>
#include <vector>


namespace execd {


class EXECD_API SseWriter: public EventSink
	/// The only sink that knows the wire format of execution streams:
	///
	///     HTTP/1.1 200 OK
	///     Content-Type: text/event-stream
	///     Cache-Control: no-cache
	///     Connection: keep-alive
	///     X-Accel-Buffering: no
	///     Transfer-Encoding: chunked
	///
	///     {"type":"init","text":"...","timestamp":1767607200000}\n\n
	///
	/// Headers go out with the first event, so that a failure before it can still be
	/// an ordinary JSON error. Each event is one compact JSON line plus a blank line,
	/// flushed at once (one chunk). Writes are serialised by a mutex. A "ping" event
	/// follows "init" at once, then StreamRegistry pings every open stream at its
	/// interval. A failed write, or a client that hung up, closes the sink; it never
	/// throws into the executor. Closing resets the connection at once: a client
	/// whose stream has made no progress for execd.http.sendTimeoutMillis (no write
	/// completed, pings included) is dropped then, not when the executor returns,
	/// and events emitted later are dropped without being serialised.
	///
	/// A journalled writer (a resumable run, see RunTable) also appends every
	/// event but pings to the run's journal, with ids on the wire when asked
	/// ("id: N" before the event's line), and stays open for the executor after
	/// its client is gone: the run goes on, and its events go to the journal only.
{
public:
	SseWriter(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);
		/// Registers with StreamRegistry for keep-alive pings and shutdown.

	~SseWriter() override;

	// execd::EventSink
	void emit(const StreamEvent& event) override;
	void emitAll(const std::vector<StreamEvent>& events) override;
	bool isOpen() const override;
	bool wantsOutcome() const override;

	bool started() const;
		/// True once the headers and the first event went out.

	void appendRaw(const std::string& bytes);
		/// Writes bytes as they are, without framing: upstream's trailing
		/// {"code","message"} after a mid-stream failure.

	void finish();
		/// Ends the chunked body (and the journal). Later emits are dropped.

	void journal(std::shared_ptr<RunJournal> pJournal, bool ids, bool outlivesClient);
		/// Before the first event: keep the run's events in pJournal, published in
		/// RunTable under the init event's text; with ids, each event is preceded
		/// by "id: N" on the wire; with outlivesClient, isOpen() stays true when
		/// the client is gone (the run goes on, into the journal).

	void setExitDetails(bool enabled);
		/// Before the first event: final events carry their RunOutcome (exit reason
		/// and usage, StreamEvent::toJson(true)).

	static bool exitDetailsRequested(const Poco::Net::HTTPServerRequest& request);
		/// X-Execd-Exit-Details: 1 (or true), or a resumable stream asked for.

	bool begin();
		/// Sends the headers now, if they have not gone out. False once closed.

	bool replay(const RunJournal::Entry& entry, bool ids);
		/// Writes an entry of a journal as it was streamed: the event's line (after
		/// "id: N" with ids and an id), or raw bytes as they are. False once closed.

	bool ping();
		/// Sends a ping event unless the stream is busy or its socket is not writable,
		/// so the caller never blocks. Returns false once the stream is closed.

	void setPings(bool enabled);
		/// With false, ping() keeps watching for a stalled client but writes no
		/// ping event: the isolated runs' streams have none (upstream's contract).

	std::size_t eventsWritten() const;

	static void setStallTimeout(std::chrono::milliseconds timeout);
		/// How long a stream may go without a completed write before ping() drops
		/// it (execd.http.sendTimeoutMillis). A blocked write that moves a few bytes
		/// now and then would otherwise never fail.

private:
	bool writeLocked(const std::string& bytes, bool flush = true);
	static void frame(std::string& out, const std::string& line, std::uint64_t id);
	static void appendId(std::string& out, std::uint64_t id);
	void pingAfterInitLocked();
	bool peerGone() const;
	void drop();

	Poco::Net::HTTPServerResponse& _response;
	int _fd;
	mutable std::mutex _mutex;
	std::ostream* _pOut;
	std::atomic<bool> _open;
	std::atomic<bool> _finished;
	std::atomic<std::size_t> _events;
	std::atomic<std::chrono::steady_clock::rep> _lastProgress;
	std::atomic<bool> _pings{true};
	std::shared_ptr<RunJournal> _pJournal;
	bool _ids = false;
	bool _outlives = false;
	std::atomic<bool> _details{false};
	std::vector<RunJournal::Span> _spans;   ///< reused by emitAll()
};


} // namespace execd
