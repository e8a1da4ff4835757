#pragma once

#include "execd/Http.h"
#include "execd/Route.h"
#include "Poco/Net/HTTPRequestHandler.h"


namespace execd {


class EXECD_API JsonHandler: public Poco::Net::HTTPRequestHandler
	/// Base of every handler that answers with one JSON (or empty) response.
	/// Every exception thrown below handle() becomes an {"code","message"} response
	/// here, and nowhere else.
{
public:
	explicit JsonHandler(RouteMatch match);
	~JsonHandler() override;

	void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) final;

protected:
	virtual void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) = 0;
		/// Answers with Http::sendJson() or Http::sendEmpty(), or throws.

	const RouteMatch& match() const;

private:
	RouteMatch _match;
};


} // namespace execd
