#include "http/RequestDispatcher.h"
#include "execd/Metrics.h"
#include "execd/Http.h"
#include "Poco/Net/HTTPServerRequestImpl.h"
#include "Poco/Message.h"
#include "Poco/Stopwatch.h"
#include <cstdio>
#include "Poco/URI.h"


namespace execd {


const std::string RequestDispatcher::TOKEN_HEADER = "X-EXECD-ACCESS-TOKEN";
const std::string RequestDispatcher::UNAUTHORIZED_BODY = "{\"error\":\"Unauthorized: invalid or missing header X-EXECD-ACCESS-TOKEN\"}";


RequestDispatcher::RequestDispatcher(const Router& router, std::string accessToken):
	_router(router),
	_accessToken(std::move(accessToken)),
	_accessLog(Poco::Logger::get("execd.access")),
	_logger(Poco::Logger::get("execd.http"))
{
}


void RequestDispatcher::setIdempotency(Idempotency* pIdempotency, std::size_t maxBodyBytes)
{
	_pIdempotency = pIdempotency;
	_maxBodyBytes = maxBodyBytes;
}


void RequestDispatcher::allowWithoutToken(const std::string& pattern)
{
	_open.insert(pattern);
}


bool RequestDispatcher::exempt(const std::string& method, const std::string& path) const
{
	if (_open.empty()) return false;
	Router::Result result = _router.find(method, path);
	return result.outcome == Router::Result::FOUND && _open.count(result.pRoute->pattern) > 0;
}


bool RequestDispatcher::constantTimeEquals(const std::string& a, const std::string& b)
{
	const std::size_t n = std::max(a.size(), b.size());
	volatile unsigned char diff = a.size() == b.size() ? 0 : 1;
	for (std::size_t i = 0; i < n; ++i)
	{
		unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
		unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
		diff = diff | static_cast<unsigned char>(x ^ y);
	}
	return diff == 0;
}


void RequestDispatcher::dispatch(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
	Poco::Stopwatch watch;
	watch.start();
	std::string path;
	std::string pattern = "unmatched";
	try
	{
		// Only the path is logged: the query may hold file names, and the token
		// only ever travels in a header, which is never logged.
		path = request.getURI();
		std::size_t q = path.find('?');
		if (q != std::string::npos) path.resize(q);

		if (!_accessToken.empty())
		{
			const std::string& presented = request.get(TOKEN_HEADER, Poco::Net::HTTPMessage::EMPTY);
			if (!constantTimeEquals(presented, _accessToken) && !exempt(request.getMethod(), path))
			{
				Http::sendJson(response, UNAUTHORIZED_BODY, 401);
			}
		}
		if (!response.sent())
			route(request, response, path, pattern);
	}
	catch (std::exception& exc)
	{
		if (!response.sent())
		{
			try
			{
				Http::sendError(response, Http::translate(exc, request.getMethod() + " " + path));
			}
			catch (...)
			{
			}
		}
		else
		{
			_logger.warning("%s %s failed after its response started: %s", request.getMethod(), path, std::string(exc.what()));
			response.setKeepAlive(false);
		}
	}
	Metrics::instance().countRequest(request.getMethod(), pattern, static_cast<int>(response.getStatus()));
	if (_accessLog.information())
	{
		// One Message per thread, reused: a fresh Poco::Message costs a getpid()
		// system call and a copy of the thread name, on every request.
		thread_local Poco::Message message("execd.access", "", Poco::Message::PRIO_INFORMATION);
		watch.stop();
		char tail[48];
		long long micros = static_cast<long long>(watch.elapsed());
		std::snprintf(tail, sizeof(tail), " %d %lld.%03lldms", static_cast<int>(response.getStatus()), micros / 1000, micros % 1000);
		std::string line;
		line.reserve(request.getMethod().size() + path.size() + sizeof(tail) + 2);
		line += request.getMethod();
		line += ' ';
		line += path;
		line += tail;
		message.setText(line);
		message.setTime(Poco::Timestamp());
		_accessLog.log(message);
	}
}


void RequestDispatcher::route(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response, const std::string& rawPath, std::string& pattern)
{
	// RFC 9110 token characters only; POCO accepts any bytes up to a space.
	for (char c: request.getMethod())
	{
		if (!std::isalnum(static_cast<unsigned char>(c)) && std::string("!#$%&'*+-.^_`|~").find(c) == std::string::npos)
		{
			response.setKeepAlive(false);
			throw ApiException::badRequest("malformed HTTP request: invalid method");
		}
	}
	std::string path;
	try
	{
		Poco::URI::decode(rawPath, path);
	}
	catch (Poco::Exception&)
	{
		throw ApiException::badRequest("malformed request path");
	}
	if (path.empty() || path[0] != '/')
		throw ApiException::badRequest("request path must start with '/'");

	Router::Result result = _router.find(request.getMethod(), path);
	if (result.outcome == Router::Result::FOUND)
	{
		pattern = result.pRoute->pattern;
		std::unique_ptr<Poco::Net::HTTPRequestHandler> pHandler = result.pRoute->create(result.match);
		if (!pHandler)
			throw ApiException::runtimeError("no handler for " + request.getMethod() + " " + result.match.pattern());
		if (request.getExpectContinue() && response.getStatus() == Poco::Net::HTTPResponse::HTTP_OK)
			response.sendContinue();
		if (_pIdempotency && request.has("Idempotency-Key") && Idempotency::applies(request.getMethod(), pattern))
			_pIdempotency->serve(request, response, *pHandler, pattern, _maxBodyBytes);
		else
			pHandler->handleRequest(request, response);
		return;
	}
	if (result.outcome == Router::Result::METHOD_NOT_ALLOWED)
	{
		response.set("Allow", result.allowed);
		Http::sendError(response, ApiException(405, ErrorCode::METHOD_NOT_ALLOWED,
			"method " + request.getMethod() + " is not allowed for " + path + " (allowed: " + result.allowed + ")"));
		return;
	}
	// As Gin does: a known route with a trailing slash redirects to the slash-less
	// path, 301 for GET and 307 for everything else.
	if (path.size() > 1 && path.back() == '/')
	{
		std::string trimmed = path.substr(0, path.size() - 1);
		Router::Result retry = _router.find(request.getMethod(), trimmed);
		if (retry.outcome == Router::Result::FOUND)
		{
			std::string location = rawPath.substr(0, rawPath.size() - 1);
			const std::string& uri = request.getURI();
			std::size_t q = uri.find('?');
			if (q != std::string::npos) location += uri.substr(q);
			response.set("Location", location);
			Http::sendEmpty(response, request.getMethod() == "GET" ? 301 : 307);
			return;
		}
	}
	Http::sendError(response, ApiException::notFound(ErrorCode::NOT_FOUND, "no route for " + request.getMethod() + " " + path));
}


} // namespace execd
