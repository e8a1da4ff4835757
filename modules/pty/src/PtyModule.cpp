#include "PtySession.h"
#include "execd/ApiException.h"
#include "execd/Http.h"
#include "execd/JsonHandler.h"
#include "execd/Metrics.h"
#include "execd/Module.h"
#include "execd/Paths.h"
#include "execd/StreamEvent.h"
#include "Poco/ClassLibrary.h"
#include "Poco/JSON/Parser.h"
#include "Poco/Net/NetException.h"
#include "Poco/UUIDGenerator.h"
#include <cstdlib>
#include <map>


namespace execd {
namespace pty {


namespace {


class SessionManager
{
public:
	std::shared_ptr<PtySession> create(const std::string& cwd, const std::string& command)
	{
		std::string id = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
		auto session = std::make_shared<PtySession>(id, cwd, command);
		std::lock_guard<std::mutex> lock(_mutex);
		_sessions[id] = session;
		return session;
	}

	std::shared_ptr<PtySession> find(const std::string& id)
	{
		std::lock_guard<std::mutex> lock(_mutex);
		auto it = _sessions.find(id);
		return it == _sessions.end() ? nullptr : it->second;
	}

	std::shared_ptr<PtySession> remove(const std::string& id)
	{
		std::lock_guard<std::mutex> lock(_mutex);
		auto it = _sessions.find(id);
		if (it == _sessions.end()) return nullptr;
		auto session = it->second;
		_sessions.erase(it);
		return session;
	}

	std::vector<std::shared_ptr<PtySession>> all()
	{
		std::lock_guard<std::mutex> lock(_mutex);
		std::vector<std::shared_ptr<PtySession>> out;
		for (auto& s: _sessions) out.push_back(s.second);
		return out;
	}

	void expire(std::chrono::milliseconds ttl)
		/// Forgets sessions with no client and no shell, idle longer than ttl.
	{
		std::vector<std::shared_ptr<PtySession>> gone;
		{
			std::lock_guard<std::mutex> lock(_mutex);
			auto now = std::chrono::steady_clock::now();
			for (auto it = _sessions.begin(); it != _sessions.end();)
			{
				auto& s = it->second;
				if (!s->running() && !s->attached() && now - s->lastActivity() > ttl)
				{
					gone.push_back(s);
					it = _sessions.erase(it);
				}
				else
				{
					++it;
				}
			}
		}
	}

	void terminateAll()
	{
		for (auto& s: all()) s->terminate();
	}

	std::size_t size()
	{
		std::lock_guard<std::mutex> lock(_mutex);
		return _sessions.size();
	}

private:
	std::mutex _mutex;
	std::map<std::string, std::shared_ptr<PtySession>> _sessions;
};


std::string statusJson(const PtySession& s)
{
	return "{\"session_id\":\"" + s.id() + "\",\"running\":" + (s.running() ? "true" : "false") +
		",\"output_offset\":" + std::to_string(s.outputOffset()) + "}";
}


ApiException notFound(const std::string& id)
{
	return ApiException::notFound(ErrorCode::CONTEXT_NOT_FOUND, "pty session " + id + " not found");
}


class CreateHandler: public JsonHandler
	/// POST /pty {"cwd","command"} -> 201 {"session_id"}
{
public:
	CreateHandler(const RouteMatch& match, SessionManager& sessions):
		JsonHandler(match),
		_sessions(sessions)
	{
	}

protected:
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override
	{
		std::string cwd, command;
		std::string text = JsonBody::readBody(request);
		if (text.find_first_not_of(" \t\r\n") != std::string::npos)
		{
			JsonBody body = JsonBody::parse(text, "error parsing request: ");
			cwd = body.getString("cwd").value_or("");
			command = body.getString("command").value_or("");
		}
		if (cwd.find('\0') != std::string::npos || command.find('\0') != std::string::npos)
			throw ApiException::badRequest("error parsing request: NUL byte in cwd or command");
		if (!cwd.empty())
		{
			try
			{
				cwd = Paths::expand(cwd);
			}
			catch (ApiException& exc)
			{
				throw ApiException::runtimeError("error creating pty session: " + exc.message());
			}
			try
			{
				Paths::createDirectories(cwd);
			}
			catch (ApiException&)
			{
				throw;   // past the path limits: 400
			}
			catch (Poco::Exception& exc)
			{
				throw ApiException::runtimeError("error creating pty session: " + exc.displayText());
			}
		}
		auto session = _sessions.create(cwd, command);
		Http::sendJson(response, "{\"session_id\":\"" + session->id() + "\"}", 201);
	}

private:
	SessionManager& _sessions;
};


class ListHandler: public JsonHandler
	/// GET /pty (beyond upstream): every session's status.
{
public:
	ListHandler(const RouteMatch& match, SessionManager& sessions):
		JsonHandler(match),
		_sessions(sessions)
	{
	}

protected:
	void handle(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& response) override
	{
		std::string out = "[";
		for (auto& s: _sessions.all())
		{
			if (out.size() > 1) out += ',';
			out += statusJson(*s);
		}
		Http::sendJson(response, out + "]");
	}

private:
	SessionManager& _sessions;
};


class StatusHandler: public JsonHandler
{
public:
	StatusHandler(const RouteMatch& match, SessionManager& sessions):
		JsonHandler(match),
		_sessions(sessions)
	{
	}

protected:
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override
	{
		const std::string& id = match().param("id");
		if (request.getMethod() == "DELETE")
		{
			auto session = _sessions.remove(id);
			if (!session) throw notFound(id);
			session->terminate();
			Http::sendEmpty(response);
			return;
		}
		auto session = _sessions.find(id);
		if (!session) throw notFound(id);
		Http::sendJson(response, statusJson(*session));
	}

private:
	SessionManager& _sessions;
};


class WebSocketHandler: public Poco::Net::HTTPRequestHandler
	/// GET /pty/{id}/ws
{
public:
	WebSocketHandler(const RouteMatch& match, SessionManager& sessions):
		_match(match),
		_sessions(sessions)
	{
	}

	void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override
	{
		const std::string& id = _match.param("id");
		QueryParams query(request);
		auto session = _sessions.find(id);
		if (!session)
		{
			Http::sendError(response, notFound(id));
			return;
		}
		bool takeover = query.get("takeover", "") == "1";
		bool upgrade = Poco::icompare(request.get("Upgrade", ""), "websocket") == 0;
		if (session->attached() && !(takeover && upgrade))
		{
			Http::sendError(response, ApiException(409, "ALREADY_CONNECTED", "another client is already connected to pty session " + id));
			return;
		}
		long long since = 0;
		try
		{
			since = std::stoll(query.get("since", "0"));
		}
		catch (...)
		{
			since = 0;
		}
		std::unique_ptr<Poco::Net::WebSocket> pSocket;
		try
		{
			pSocket = std::make_unique<Poco::Net::WebSocket>(request, response);
		}
		catch (Poco::Exception& exc)
		{
			if (!response.sent()) Http::sendError(response, ApiException::badRequest("websocket handshake failed: " + exc.message()));
			return;
		}
		pSocket->setMaxPayloadSize(16 * 1024 * 1024);
		session->serve(*pSocket, query.get("pty", "") != "0", since, takeover);
		response.setKeepAlive(false);
	}

private:
	RouteMatch _match;
	SessionManager& _sessions;
};


} // namespace


class PtyModule: public Module
	/// /pty: interactive shells over WebSocket, with a replay ring per session.
{
public:
	std::string name() const override
	{
		return "pty";
	}

	void configure(ModuleContext& context) override
	{
		_ttl = context.settings().getMillis("idleTtlMillis", std::chrono::milliseconds(0), std::chrono::milliseconds(0), std::chrono::hours(24 * 365));
	}

	std::vector<Route> routes() override
	{
		SessionManager* s = &_sessions;
		return {
			{"POST", "/pty", [s](const RouteMatch& m) { return std::make_unique<CreateHandler>(m, *s); }},
			{"GET", "/pty", [s](const RouteMatch& m) { return std::make_unique<ListHandler>(m, *s); }},
			{"GET", "/pty/{id}", [s](const RouteMatch& m) { return std::make_unique<StatusHandler>(m, *s); }},
			{"DELETE", "/pty/{id}", [s](const RouteMatch& m) { return std::make_unique<StatusHandler>(m, *s); }},
			{"GET", "/pty/{id}/ws", [s](const RouteMatch& m) { return std::make_unique<WebSocketHandler>(m, *s); }},
		};
	}

	void start() override
	{
		SessionManager* s = &_sessions;
		Metrics::instance().addGauge("execd_pty_sessions", "PTY sessions.", [s] { return static_cast<double>(s->size()); });
		if (_ttl.count() > 0)
		{
			_janitor = std::thread([this] {
				std::unique_lock<std::mutex> lock(_mutex);
				while (!_wake.wait_for(lock, std::min(_ttl, std::chrono::milliseconds(5000)), [this] { return _stop; }))
				{
					lock.unlock();
					_sessions.expire(_ttl);
					lock.lock();
				}
			});
		}
	}

	void shutdown() override
	{
		Metrics::instance().removeGauge("execd_pty_sessions");
		{
			std::lock_guard<std::mutex> lock(_mutex);
			_stop = true;
		}
		_wake.notify_all();
		if (_janitor.joinable()) _janitor.join();
		_sessions.terminateAll();
	}

private:
	SessionManager _sessions;
	std::chrono::milliseconds _ttl{0};
	std::mutex _mutex;
	std::condition_variable _wake;
	bool _stop = false;
	std::thread _janitor;
};


} } // namespace execd::pty


POCO_BEGIN_MANIFEST(execd::Module)
	POCO_EXPORT_CLASS(execd::pty::PtyModule)
POCO_END_MANIFEST
