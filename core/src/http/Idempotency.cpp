#include "http/Idempotency.h"
#include "execd/RunEventsHandler.h"
#include "execd/ApiException.h"
#include "execd/Http.h"
#include "execd/ReplayedRequest.h"
#include "execd/RunTable.h"
#include "execd/SseWriter.h"
#include "Poco/DigestStream.h"
#include "Poco/SHA2Engine.h"
#include "Poco/StreamCopier.h"
#include "Poco/TeeStream.h"
#include "Poco/NullStream.h"
#include <algorithm>
#include <exception>
#include <sstream>


namespace execd {


namespace {


const char* const KEY_HEADER = "Idempotency-Key";


std::string hex(const Poco::DigestEngine::Digest& digest)
{
	return Poco::DigestEngine::digestToHex(digest);
}


std::string sha256(const std::string& text)
{
	Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
	engine.update(text);
	return hex(engine.digest());
}


std::string prefix(const Poco::Net::HTTPServerRequest& request)
{
	return request.getMethod() + " " + request.getURI() + "\n";
}


class CapturedResponse: public Poco::Net::HTTPServerResponse
	/// The response a handler writes, passed on to the real one and kept (head
	/// and, up to a bound, body) for a retry.
{
public:
	CapturedResponse(Poco::Net::HTTPServerResponse& real, std::size_t maxBody):
		_real(real),
		_maxBody(maxBody)
	{
	}

	void sendContinue() override
	{
		_real.sendContinue();
	}

	std::ostream& send() override
	{
		copyHead();
		std::ostream& out = _real.send();
		_pTee = std::make_unique<Poco::TeeOutputStream>(out);
		_pTee->addStream(_body);
		return *_pTee;
	}

	void sendFile(const std::string& path, const std::string& mediaType) override
	{
		copyHead();
		_complete = false;
		_real.sendFile(path, mediaType);
	}

	void sendBuffer(const void* pBuffer, std::size_t length) override
	{
		copyHead();
		_body.write(static_cast<const char*>(pBuffer), static_cast<std::streamsize>(length));
		_real.sendBuffer(pBuffer, length);
	}

	void redirect(const std::string& uri, HTTPStatus status) override
	{
		_complete = false;
		_real.redirect(uri, status);
	}

	void requireAuthentication(const std::string& realm) override
	{
		_complete = false;
		_real.requireAuthentication(realm);
	}

	bool sent() const override
	{
		return _real.sent();
	}

	bool complete() const
	{
		if (_pTee) _pTee->flush();
		return _complete && _real.sent() && _body.str().size() <= _maxBody;
	}

	std::string body() const
	{
		return _body.str();
	}

private:
	void copyHead()
	{
		_real.setStatusAndReason(getStatus(), getReason());
		for (const auto& field: *this)
			_real.set(field.first, field.second);
	}

	Poco::Net::HTTPServerResponse& _real;
	std::size_t _maxBody;
	std::ostringstream _body;
	std::unique_ptr<Poco::TeeOutputStream> _pTee;
	bool _complete = true;
};


} // namespace


Idempotency::Idempotency(const Settings& settings):
	_settings(settings)
{
}


bool Idempotency::isRun(const std::string& pattern)
{
	return pattern == "/command" || pattern == "/code" || pattern == "/session/{sessionId}/run";
}


bool Idempotency::applies(const std::string& method, const std::string& pattern)
{
	return method == "POST" && (isRun(pattern) || pattern == "/files/upload" || pattern == "/directories" || pattern == "/files/mv");
}


std::size_t Idempotency::size() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _records.size();
}


void Idempotency::collectLocked()
{
	const auto now = std::chrono::steady_clock::now();
	for (auto it = _order.begin(); it != _order.end();)
	{
		auto record = _records.find(*it);
		if (record != _records.end() && record->second->done && now - record->second->endedAt > _settings.ttl)
		{
			_records.erase(record);
			it = _order.erase(it);
		}
		else
			++it;
	}
}


Idempotency::RecordPtr Idempotency::claim(const std::string& key, const std::string& fingerprint, const std::string& pattern, bool& first)
{
	std::lock_guard<std::mutex> lock(_mutex);
	collectLocked();
	auto it = _records.find(key);
	if (it != _records.end())
	{
		if (it->second->pattern != pattern)
			throw ApiException(422, ErrorCode::IDEMPOTENCY_KEY_REUSED, "this Idempotency-Key was used for another request (another target or body)");
		first = false;
		_order.splice(_order.end(), _order, it->second->lru);
		return it->second;
	}
	if (_records.size() >= _settings.maxKeys)
	{
		// The least recently used key whose request has ended makes room.
		auto victim = std::find_if(_order.begin(), _order.end(), [this](const std::string& k) { return _records.at(k)->done; });
		if (victim == _order.end())
			throw ApiException(503, ErrorCode::TOO_MANY_CONNECTIONS, "too many requests with an Idempotency-Key under way (" + std::to_string(_settings.maxKeys) + ")");
		_records.erase(*victim);
		_order.erase(victim);
	}
	first = true;
	auto pRecord = std::make_shared<Record>();
	pRecord->fingerprint = fingerprint;
	pRecord->pattern = pattern;
	if (isRun(pattern))
	{
		pRecord->pJournal = RunTable::instance().create();   // before a retry can see the record
		pRecord->journal = pRecord->pJournal;
	}
	pRecord->lru = _order.insert(_order.end(), key);
	_records[key] = pRecord;
	return pRecord;
}


void Idempotency::release(const std::string& key, const RecordPtr& pRecord, bool keep)
{
	{
		std::lock_guard<std::mutex> lock(_mutex);
		pRecord->done = true;
		pRecord->endedAt = std::chrono::steady_clock::now();
		pRecord->pJournal.reset();   // RunTable keeps it, within its bounds
		auto it = _records.find(key);
		if (!keep && it != _records.end() && it->second == pRecord)
		{
			_order.erase(pRecord->lru);
			_records.erase(it);
		}
	}
	_changed.notify_all();
}


void Idempotency::serve(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
	Poco::Net::HTTPRequestHandler& handler, const std::string& pattern, std::size_t maxBodyBytes)
{
	const std::string raw = request.get(KEY_HEADER);
	if (raw.empty() || raw.size() > _settings.maxKeyBytes
		|| std::any_of(raw.begin(), raw.end(), [](char c) { return c < 0x21 || c > 0x7e; }))
	{
		throw ApiException::badRequest("invalid Idempotency-Key: 1 to " + std::to_string(_settings.maxKeyBytes)
			+ " visible ASCII characters expected");
	}
	// Keys are the access token's: another token's key is another key.
	const std::string key = sha256(request.get("X-EXECD-ACCESS-TOKEN", "")) + " " + raw;
	if (isRun(pattern))
		serveRun(request, response, handler, key, pattern, maxBodyBytes);
	else
		serveOther(request, response, handler, key, pattern);
}


void Idempotency::serveRun(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
	Poco::Net::HTTPRequestHandler& handler, const std::string& key, const std::string& pattern, std::size_t maxBodyBytes)
{
	// A run's body is JSON, bounded: read first (with the deadline and the
	// framing checks of every JSON body), so the fingerprint is known before
	// anything runs.
	const std::string body = JsonBody::readBody(request, maxBodyBytes);
	const std::string fingerprint = sha256(prefix(request) + body);
	bool first = false;
	RecordPtr pRecord = claim(key, fingerprint, pattern, first);
	if (first)
	{
		std::shared_ptr<RunJournal> pJournal = pRecord->pJournal;
		std::istringstream in(body);
		ReplayedRequest replayed(request, in);
		replayed.setJournal(pJournal);
		try
		{
			handler.handleRequest(replayed, response);
		}
		catch (...)
		{
			pJournal->finish();
			release(key, pRecord, pJournal->lastId() > 0);
			throw;
		}
		pJournal->finish();
		// A request that failed before its run started (a 400, a busy session)
		// ran nothing: its retry may run.
		release(key, pRecord, pJournal->lastId() > 0);
		return;
	}
	if (pRecord->fingerprint != fingerprint)
		throw ApiException(422, ErrorCode::IDEMPOTENCY_KEY_REUSED, "this Idempotency-Key was used for another request (another target or body)");
	// The first request's run, from its start, then live; once it has started
	// (or its request failed before that).
	std::shared_ptr<RunJournal> pJournal = pRecord->journal.lock();
	if (!pJournal)
		throw ApiException(409, ErrorCode::IDEMPOTENCY_KEY_REUSED, "the run of this Idempotency-Key is no longer kept (execd.runs.* bounds)");
	pJournal->waitBeyond(0, std::chrono::steady_clock::now() + _settings.waitForFirst);
	if (pJournal->lastId() == 0)
		throw ApiException(409, ErrorCode::IDEMPOTENCY_KEY_REUSED,
			"the first request with this Idempotency-Key failed before its run started, or has not started it yet; send it again");
	SseWriter writer(request, response);
	RunEventsHandler::follow(*pJournal, 0, writer, RunTable::requested(request));
	writer.finish();
}


void Idempotency::serveOther(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
	Poco::Net::HTTPRequestHandler& handler, const std::string& key, const std::string& pattern)
{
	// The body may be large (an upload): hashed as it is read, by the handler
	// for the first request, here for a retry.
	Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
	engine.update(prefix(request));
	Poco::DigestInputStream in(engine, request.stream());
	bool first = false;
	RecordPtr pRecord = claim(key, std::string(), pattern, first);
	if (first)
	{
		ReplayedRequest replayed(request, in);
		CapturedResponse captured(response, _settings.maxStoredBodyBytes);
		std::exception_ptr failure;
		try
		{
			handler.handleRequest(replayed, captured);
			Poco::NullOutputStream rest;
			if (Http::hasBody(request)) Poco::StreamCopier::copyStream(in, rest);   // what the handler left unread counts too
		}
		catch (...)
		{
			failure = std::current_exception();
		}
		const bool ok = !failure;
		{
			std::lock_guard<std::mutex> lock(_mutex);
			pRecord->fingerprint = hex(engine.digest());
			pRecord->stored = ok && captured.complete();
			pRecord->status = static_cast<int>(captured.getStatus());
			pRecord->reason = captured.getReason();
			for (const auto& field: captured)
				pRecord->headers.emplace_back(field.first, field.second);
			pRecord->body = captured.body();
		}
		release(key, pRecord, true);
		if (failure) std::rethrow_exception(failure);
		return;
	}
	// Its own body first (the client sends it either way), then the first's outcome.
	Poco::NullOutputStream sink;
	if (Http::hasBody(request)) Poco::StreamCopier::copyStream(in, sink);
	const std::string fingerprint = hex(engine.digest());
	{
		std::unique_lock<std::mutex> lock(_mutex);
		if (!_changed.wait_for(lock, _settings.waitForFirst, [&] { return pRecord->done; }))
			throw ApiException(409, ErrorCode::IDEMPOTENCY_KEY_REUSED, "the first request with this Idempotency-Key is still under way");
	}
	bool same = false;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		same = pRecord->fingerprint == fingerprint;
	}
	if (!same)
		throw ApiException(422, ErrorCode::IDEMPOTENCY_KEY_REUSED, "this Idempotency-Key was used for another request (another target or body)");
	if (!pRecord->stored)
		throw ApiException(409, ErrorCode::IDEMPOTENCY_KEY_REUSED, "the first request with this Idempotency-Key ended without an answer that can be given again");
	response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(pRecord->status), pRecord->reason);
	for (const auto& field: pRecord->headers)
		response.set(field.first, field.second);
	response.set("Idempotent-Replayed", "true");
	response.sendBuffer(pRecord->body.data(), pRecord->body.size());
}


} // namespace execd
