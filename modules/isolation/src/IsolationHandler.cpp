#include "IsolationHandler.h"
#include "execd/ApiException.h"


namespace execd {
namespace isolation {


IsolationHandler::IsolationHandler(RouteMatch match, IsolationService& service, Kind kind):
	JsonHandler(std::move(match)),
	_service(service),
	_kind(kind)
{
}


void IsolationHandler::handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
	switch (_kind)
	{
	case Kind::CAPABILITIES:
		Http::sendJson(response, _service.capabilities());
		return;
	case Kind::CREATE:
		if (!_service.usable()) throw ApiException(503, ErrorCode::SERVICE_UNAVAILABLE, "isolation unavailable");   // before the body
		Http::sendJson(response, _service.create(JsonBody::read(request, "")), 201);
		return;
	case Kind::LIST:
		Http::sendJson(response, _service.list());
		return;
	case Kind::STATE:
		Http::sendJson(response, _service.state(match().param("id")));
		return;
	case Kind::DELETE:
		_service.remove(match().param("id"));
		Http::sendEmpty(response);
		return;
	case Kind::DIFF:
		Http::sendJson(response, _service.diff(match().param("id")));
		return;
	case Kind::COMMIT:
		Http::sendJson(response, _service.commit(match().param("id")));
		return;
	}
}


} } // namespace execd::isolation
