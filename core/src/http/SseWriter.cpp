#include "execd/SseWriter.h"
#include "execd/Http.h"
#include "execd/ReplayedRequest.h"
#include "execd/RunTable.h"
#include "execd/StreamRegistry.h"
#include "Poco/Net/HTTPServerRequestImpl.h"
#include "Poco/Net/StreamSocket.h"
#include "Poco/String.h"
#include <charconv>
#include <poll.h>
#include <unistd.h>
#include <sys/socket.h>


namespace execd {


namespace {


const int SEND_BUFFER_BYTES = 1024 * 1024;

std::atomic<long long> stallTimeoutMillis{60000};


std::chrono::steady_clock::rep now()
{
	return std::chrono::steady_clock::now().time_since_epoch().count();
}


int socketOf(Poco::Net::HTTPServerRequest& request)
{
	if (auto pReplayed = dynamic_cast<ReplayedRequest*>(&request)) return socketOf(pReplayed->original());
	auto pImpl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&request);
	return pImpl ? pImpl->socket().impl()->sockfd() : -1;
}


} // namespace


SseWriter::SseWriter(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response):
	_response(response),
	_fd(socketOf(request)),
	_pOut(nullptr),
	_open(true),
	_finished(false),
	_events(0),
	_lastProgress(now())
{
	StreamRegistry::instance().add(this);
}


SseWriter::~SseWriter()
{
	StreamRegistry::instance().remove(this);
	if (_pJournal) _pJournal->finish();
}


void SseWriter::journal(std::shared_ptr<RunJournal> pJournal, bool ids, bool outlivesClient)
{
	std::lock_guard<std::mutex> lock(_mutex);
	_pJournal = std::move(pJournal);
	_ids = ids;
	_outlives = outlivesClient;
}


void SseWriter::setExitDetails(bool enabled)
{
	_details = enabled;
}


bool SseWriter::exitDetailsRequested(const Poco::Net::HTTPServerRequest& request)
{
	return Http::headerFlag(request, "X-Execd-Exit-Details") || RunTable::requested(request);
}


void SseWriter::frame(std::string& out, const std::string& line, std::uint64_t id)
{
	if (id != 0) appendId(out, id);
	out += line;
	out += "\n\n";
}


bool SseWriter::writeLocked(const std::string& bytes, bool flush)
{
	if (!_open || _finished) return false;
	if (!_pOut)
	{
		_response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_OK);
		_response.setContentType("text/event-stream");
		_response.set("Cache-Control", "no-cache");
		// Upstream's header, unless the client asked to close (then the
		// connection's own "Connection: close" stays and is honoured).
		if (_response.getKeepAlive()) _response.set("Connection", "keep-alive");
		_response.set("X-Accel-Buffering", "no");
		_response.setChunkedTransferEncoding(true);
		// A fixed send buffer: TCP's autotuning would keep growing it for a
		// client that reads nothing, and every growth lets a blocked write
		// progress, so the send timeout would never expire. 1 MiB of events
		// queued is plenty for any reader that reads.
		if (_fd >= 0)
		{
			int bytes = SEND_BUFFER_BYTES;
			::setsockopt(_fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
		}
		try
		{
			_pOut = &_response.send();
		}
		catch (...)
		{
			drop();
			return false;
		}
	}
	_pOut->write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
	// Not after a failed write: libstdc++'s flush() syncs a bad stream too, and
	// that would wait for the send timeout a second time.
	if (flush && _pOut->good()) _pOut->flush();
	if (!_pOut->good())
	{
		drop();
		return false;
	}
	_lastProgress = now();
	return true;
}


void SseWriter::drop()
{
	// A write failed: the client is gone, or it read nothing for the send timeout
	// (SO_SNDTIMEO). The connection is shut down now rather than when the handler
	// returns, which for a foreground command is when the command ends: a client
	// that stopped reading is dropped after the send timeout, as documented, and
	// the rest of the response (the terminating chunk) fails at once. The
	// descriptor stays the connection's to close.
	_open = false;
	Http::resetConnection(_fd);
}


void SseWriter::appendId(std::string& out, std::uint64_t id)
{
	char digits[24];
	auto end = std::to_chars(digits, digits + sizeof(digits), id).ptr;
	out.append("id: ", 4);
	out.append(digits, static_cast<std::size_t>(end - digits));
	out += '\n';
}


void SseWriter::emit(const StreamEvent& event)
{
	// Once closed, an event costs nothing: a command whose client left may still
	// produce output for a long time. Unless it is journalled.
	if (_finished || (!_open && !_pJournal)) return;
	if (!_pJournal)
	{
		std::string line = event.toJson(_details);
		line += "\n\n";
		std::lock_guard<std::mutex> lock(_mutex);
		if (writeLocked(line))
		{
			++_events;
			if (event.type == EventType::INIT) pingAfterInitLocked();
		}
		return;
	}
	std::lock_guard<std::mutex> lock(_mutex);
	std::string bytes;
	_spans.resize(1);
	if (_ids) appendId(bytes, _pJournal->nextId());   // this writer is the journal's only one
	_spans[0].first = bytes.size();
	event.appendJson(bytes, _details);
	_spans[0].second = bytes.size() - _spans[0].first;
	bytes += "\n\n";
	_pJournal->append(bytes, _spans);
	if (event.type == EventType::INIT) RunTable::instance().publish(event.text, _pJournal);
	if (_open && writeLocked(bytes))
	{
		++_events;
		if (event.type == EventType::INIT) pingAfterInitLocked();
	}
}


void SseWriter::pingAfterInitLocked()
{
	// Upstream's ping task fires right after init; SDK tests see it there.
	std::string ping = StreamEvent::ping().toJson();
	ping += "\n\n";
	writeLocked(ping);
}


void SseWriter::emitAll(const std::vector<StreamEvent>& events)
{
	if (events.empty() || _finished || (!_open && !_pJournal)) return;
	if (events.size() == 1 || events.front().type == EventType::INIT)
	{
		EventSink::emitAll(events);
		return;
	}
	if (!_pJournal)
	{
		std::string bytes;
		for (const StreamEvent& event: events)
		{
			event.appendJson(bytes, _details);
			bytes += "\n\n";
		}
		std::lock_guard<std::mutex> lock(_mutex);
		if (writeLocked(bytes)) _events += events.size();
		return;
	}
	// Journalled: serialised once, into the wire's bytes, and the events'
	// spans of them journalled under one lock.
	std::lock_guard<std::mutex> lock(_mutex);
	std::string bytes;
	_spans.clear();
	std::uint64_t id = _pJournal->nextId();
	for (const StreamEvent& event: events)
	{
		if (_ids) appendId(bytes, id++);
		const std::size_t at = bytes.size();
		event.appendJson(bytes, _details);
		_spans.emplace_back(at, bytes.size() - at);
		bytes += "\n\n";
	}
	_pJournal->append(bytes, _spans);
	if (_open && writeLocked(bytes)) _events += events.size();
}


bool SseWriter::begin()
{
	std::lock_guard<std::mutex> lock(_mutex);
	return writeLocked(std::string());
}


bool SseWriter::replay(const RunJournal::Entry& entry, bool ids)
{
	std::string bytes;
	if (entry.raw)
		bytes = entry.bytes;
	else
		frame(bytes, entry.bytes, ids ? entry.id : 0);
	std::lock_guard<std::mutex> lock(_mutex);
	if (!writeLocked(bytes)) return false;
	if (!entry.raw) ++_events;
	return true;
}


bool SseWriter::peerGone() const
{
	// A client that shut down only its sending side (POLLRDHUP) may still be
	// reading; one that closed the connection answers the next write with a
	// reset (POLLERR/POLLHUP). So on POLLRDHUP alone, probe with a ping.
	if (_fd < 0) return false;
	struct pollfd pfd;
	pfd.fd = _fd;
	pfd.events = POLLRDHUP;
	pfd.revents = 0;
	if (::poll(&pfd, 1, 0) <= 0) return false;
	if (pfd.revents & (POLLHUP | POLLERR | POLLNVAL)) return true;
	if (!(pfd.revents & POLLRDHUP)) return false;
	auto self = const_cast<SseWriter*>(this);
	std::unique_lock<std::mutex> lock(self->_mutex, std::try_to_lock);
	if (lock.owns_lock() && _pOut)
	{
		std::string ping = StreamEvent::ping().toJson();
		ping += "\n\n";
		if (!self->writeLocked(ping)) return true;
		pfd.revents = 0;
		if (::poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLHUP | POLLERR | POLLNVAL))) return true;
	}
	return false;
}


bool SseWriter::wantsOutcome() const
{
	return _details;
}


bool SseWriter::isOpen() const
{
	if (_finished) return false;
	if (_pJournal && _outlives) return true;   // the run outlives its client
	if (!_open) return false;
	if (peerGone())
	{
		const_cast<SseWriter*>(this)->drop();
		return false;
	}
	return true;
}


bool SseWriter::started() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _pOut != nullptr;
}


void SseWriter::appendRaw(const std::string& bytes)
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (_pJournal) _pJournal->append(bytes, true);
	writeLocked(bytes);
}


void SseWriter::finish()
{
	// The terminating "0\r\n\r\n" is written when the connection destroys the
	// response, right after the handler returns; closing the chunked stream here
	// as well would write it twice.
	std::lock_guard<std::mutex> lock(_mutex);
	if (_finished) return;
	_finished = true;
	if (_pJournal) _pJournal->finish();
	if (_pOut && _open) _pOut->flush();
}


void SseWriter::setStallTimeout(std::chrono::milliseconds timeout)
{
	stallTimeoutMillis = timeout.count();
}


void SseWriter::setPings(bool enabled)
{
	_pings = enabled;
}


bool SseWriter::ping()
{
	if (!_open || _finished) return false;
	bool stalled = std::chrono::steady_clock::duration(now() - _lastProgress.load())
		> std::chrono::milliseconds(stallTimeoutMillis.load());
	std::unique_lock<std::mutex> lock(_mutex, std::try_to_lock);
	if (!lock.owns_lock())
	{
		// A write is in progress. One that has not completed for the stall
		// timeout is woken by a shutdown; it fails and drops the stream itself.
		if (stalled && _fd >= 0) ::shutdown(_fd, SHUT_RDWR);
		return true;
	}
	if (stalled && _pOut)
	{
		drop();
		return false;
	}
	if (!_pOut) return true;              // not started yet: nothing to keep alive
	if (!_pings) return true;
	if (_fd >= 0)
	{
		struct pollfd pfd;
		pfd.fd = _fd;
		pfd.events = POLLOUT;
		pfd.revents = 0;
		if (::poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)))
		{
			drop();
			return false;
		}
		if (!(pfd.revents & POLLOUT))
			return true;   // the client is behind; a ping must never block the pinger
	}
	std::string ping = StreamEvent::ping().toJson();
	ping += "\n\n";
	return writeLocked(ping);
}


std::size_t SseWriter::eventsWritten() const
{
	return _events;
}


} // namespace execd
