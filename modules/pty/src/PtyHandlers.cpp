#include "PtyHandlers.h"
#include "execd/ApiException.h"
#include "execd/Http.h"
#include "execd/Paths.h"
#include "execd/StreamEvent.h"
#include "Poco/JSON/Parser.h"
#include "Poco/Net/NetException.h"
#include <cstdlib>


namespace execd {
namespace pty {


namespace {


std::string statusJson(const PtySession& s)
{
	return "{\"session_id\":\"" + s.id() + "\",\"running\":" + (s.running() ? "true" : "false") +
		",\"output_offset\":" + std::to_string(s.outputOffset()) + "}";
}


ApiException notFound(const std::string& id)
{
	return ApiException::notFound(ErrorCode::CONTEXT_NOT_FOUND, "pty session " + id + " not found");
}


} // namespace


CreateHandler::CreateHandler(const RouteMatch& match, PtySessions& sessions):
	JsonHandler(match),
	_sessions(sessions)
{
}


void CreateHandler::handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
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
	if (!cwd.empty()) cwd = prepareDirectory(cwd);
	auto session = _sessions.create(cwd, command);
	Http::sendJson(response, "{\"session_id\":\"" + session->id() + "\"}", 201);
}


std::string CreateHandler::prepareDirectory(const std::string& cwd)
{
	std::string dir;
	try
	{
		dir = Paths::expand(cwd);
	}
	catch (ApiException& exc)
	{
		throw ApiException::runtimeError("error creating pty session: " + exc.message());
	}
	try
	{
		Paths::createDirectories(dir);
	}
	catch (ApiException&)
	{
		throw;   // past the path limits: 400
	}
	catch (Poco::Exception& exc)
	{
		throw ApiException::runtimeError("error creating pty session: " + exc.displayText());
	}
	return dir;
}


ListHandler::ListHandler(const RouteMatch& match, PtySessions& sessions):
	JsonHandler(match),
	_sessions(sessions)
{
}


void ListHandler::handle(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& response)
{
	std::string out = "[";
	for (auto& s: _sessions.all())
	{
		if (out.size() > 1) out += ',';
		out += statusJson(*s);
	}
	Http::sendJson(response, out + "]");
}


StatusHandler::StatusHandler(const RouteMatch& match, PtySessions& sessions):
	JsonHandler(match),
	_sessions(sessions)
{
}


void StatusHandler::handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
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


WebSocketHandler::WebSocketHandler(const RouteMatch& match, PtySessions& sessions):
	_match(match),
	_sessions(sessions)
{
}


void WebSocketHandler::handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
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


std::vector<Route> ptyRoutes(PtySessions& sessions)
{
	PtySessions* s = &sessions;
	return {
		{"POST", "/pty", [s](const RouteMatch& m) { return std::make_unique<CreateHandler>(m, *s); }},
		{"GET", "/pty", [s](const RouteMatch& m) { return std::make_unique<ListHandler>(m, *s); }},
		{"GET", "/pty/{id}", [s](const RouteMatch& m) { return std::make_unique<StatusHandler>(m, *s); }},
		{"DELETE", "/pty/{id}", [s](const RouteMatch& m) { return std::make_unique<StatusHandler>(m, *s); }},
		{"GET", "/pty/{id}/ws", [s](const RouteMatch& m) { return std::make_unique<WebSocketHandler>(m, *s); }},
	};
}


} } // namespace execd::pty
