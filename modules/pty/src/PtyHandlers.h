#pragma once

#include "PtySessions.h"
#include "execd/JsonHandler.h"
#include "execd/Route.h"
#include "Poco/Net/HTTPRequestHandler.h"
#include <string>
#include <vector>


namespace execd {
namespace pty {


std::vector<Route> ptyRoutes(PtySessions& sessions);
	/// POST /pty, GET /pty, GET and DELETE /pty/{id}, GET /pty/{id}/ws.
	/// Every handler borrows sessions, which outlives the routes.


class CreateHandler: public JsonHandler
	/// POST /pty {"cwd","command"} -> 201 {"session_id"}
	/// An empty body is a session in the default directory running the shell.
	/// A cwd is expanded and created; a NUL byte or a path past the limits is a
	/// 400, a cwd that cannot be created a 500.
{
public:
	CreateHandler(const RouteMatch& match, PtySessions& sessions);

protected:
	// execd::JsonHandler
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override;

private:
	static std::string prepareDirectory(const std::string& cwd);

	PtySessions& _sessions;
};


class ListHandler: public JsonHandler
	/// GET /pty (beyond upstream): every session's status.
{
public:
	ListHandler(const RouteMatch& match, PtySessions& sessions);

protected:
	// execd::JsonHandler
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override;

private:
	PtySessions& _sessions;
};


class StatusHandler: public JsonHandler
	/// GET /pty/{id}: {"session_id","running","output_offset"};
	/// DELETE /pty/{id}: terminates and forgets the session.
	/// An unknown id is a 404 CONTEXT_NOT_FOUND.
{
public:
	StatusHandler(const RouteMatch& match, PtySessions& sessions);

protected:
	// execd::JsonHandler
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override;

private:
	PtySessions& _sessions;
};


class WebSocketHandler: public Poco::Net::HTTPRequestHandler
	/// GET /pty/{id}/ws[?since=N&pty=0&takeover=1]: the session's terminal over a
	/// WebSocket. 404 for an unknown id, 409 ALREADY_CONNECTED while another client
	/// is attached (unless it is a takeover upgrade), 400 for a failed handshake.
{
public:
	WebSocketHandler(const RouteMatch& match, PtySessions& sessions);

	// Poco::Net::HTTPRequestHandler
	void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override;
		/// Returns when the client detaches or the session ends.

private:
	RouteMatch _match;
	PtySessions& _sessions;
};


} } // namespace execd::pty
