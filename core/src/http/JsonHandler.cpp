#include "execd/JsonHandler.h"


namespace execd {


JsonHandler::JsonHandler(RouteMatch match):
	_match(std::move(match))
{
}


JsonHandler::~JsonHandler() = default;


void JsonHandler::handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
	try
	{
		handle(request, response);
	}
	catch (std::exception& exc)
	{
		if (!response.sent())
			Http::sendError(response, Http::translate(exc, request.getMethod() + " " + _match.pattern()));
		else
			throw;
	}
}


const RouteMatch& JsonHandler::match() const
{
	return _match;
}


} // namespace execd
