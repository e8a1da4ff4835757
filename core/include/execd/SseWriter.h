#pragma once

#include "execd/EventSink.h"
#include "Poco/Net/HTTPServerRequest.h"
#include "Poco/Net/HTTPServerResponse.h"
#include <atomic>
#include <chrono>
#include <mutex>
#include <ostream>


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
{
public:
	SseWriter(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);
		/// Registers with StreamRegistry for keep-alive pings and shutdown.

	~SseWriter() override;

	// execd::EventSink
	void emit(const StreamEvent& event) override;
	void emitAll(const std::vector<StreamEvent>& events) override;
	bool isOpen() const override;

	bool started() const;
		/// True once the headers and the first event went out.

	void appendRaw(const std::string& bytes);
		/// Writes bytes as they are, without framing: upstream's trailing
		/// {"code","message"} after a mid-stream failure.

	void finish();
		/// Ends the chunked body. Later emits are dropped.

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
};


} // namespace execd
