#pragma once

#include "http/Idempotency.h"
#include "execd/Router.h"
#include "Poco/Logger.h"
#include "Poco/Net/HTTPServerRequest.h"
#include "Poco/Net/HTTPServerResponse.h"
#include <set>
#include <string>


namespace execd {


class RequestDispatcher
	/// What happens to every request between parsing and the handler: the access
	/// token check, routing (404, 405, trailing-slash redirects), the handler call,
	/// and the access log line.
{
public:
	RequestDispatcher(const Router& router, std::string accessToken);

	void dispatch(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);
		/// Answers the request. Exceptions escaping a handler after its response
		/// started are logged and end the connection.

	void allowWithoutToken(const std::string& pattern);

	void setIdempotency(Idempotency* pIdempotency, std::size_t maxBodyBytes);
		/// Requests with an Idempotency-Key on its routes go through it (borrowed;
		/// it outlives the dispatcher's use).
		/// Requests matching the route registered under pattern (e.g. "/ready")
		/// are answered without the access token. Call before serving.

	static bool constantTimeEquals(const std::string& a, const std::string& b);
		/// Compares without an early exit, so the time taken does not reveal how
		/// much of a guess was right.

	static const std::string TOKEN_HEADER;
	static const std::string UNAUTHORIZED_BODY;

private:
	Idempotency* _pIdempotency = nullptr;
	std::size_t _maxBodyBytes = 0;
	void route(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response, const std::string& path, std::string& pattern);
		/// pattern receives the route pattern that matched, if any.

	bool exempt(const std::string& method, const std::string& path) const;

	const Router& _router;
	std::string _accessToken;
	std::set<std::string> _open;
	Poco::Logger& _accessLog;
	Poco::Logger& _logger;
};


} // namespace execd
