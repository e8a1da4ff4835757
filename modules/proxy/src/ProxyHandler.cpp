#include "ProxyHandler.h"
#include "BodyForwarder.h"
#include "ConnectionPool.h"
#include "execd/ApiException.h"
#include "execd/Http.h"
#include "Poco/Net/NetException.h"
#include "Poco/Net/SocketAddress.h"
#include "Poco/String.h"
#include <algorithm>
#include <cerrno>
#include <poll.h>
#include <set>
#include <vector>


namespace execd {
namespace proxy {


namespace {


const std::set<std::string> HOP_BY_HOP{"connection", "keep-alive", "proxy-connection", "proxy-authenticate",
	"proxy-authorization", "te", "trailer", "trailers", "transfer-encoding", "upgrade"};


Poco::Timespan timespan(std::chrono::milliseconds millis)
{
	return Poco::Timespan(static_cast<long>(millis.count() / 1000), static_cast<long>((millis.count() % 1000) * 1000));
}


} // namespace


ProxyHandler::ProxyHandler(const RouteMatch& match, const ProxySettings& settings):
	_match(match),
	_settings(settings)
{
}


ProxyHandler::~ProxyHandler() = default;


void ProxyHandler::handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
	try
	{
		forward(request, response);
	}
	catch (std::exception& exc)
	{
		abort();
		// The rest of a body that was cut off cannot be drained, and a response
		// already under way cannot carry an error: no keep-alive.
		if (_bodyStarted || response.sent()) response.setKeepAlive(false);
		if (!response.sent())
			Http::sendError(response, clientError(exc, request));
		else if (!dynamic_cast<const Poco::Exception*>(&exc))
			throw;   // not the upstream's doing: the dispatcher logs it, as for any handler
	}
}


void ProxyHandler::forward(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
	parsePort();
	const bool upgrade = Poco::icompare(request.get("Upgrade", ""), "websocket") == 0;
	const std::string head = sendRequest(request, upgrade);
	Framing framing = writeResponseHead(response, head, upgrade);
	relay(request, response, framing);
}


void ProxyHandler::parsePort()
{
	const std::string& portText = _match.param("port");
	if (portText.empty() || portText.size() > 5 || portText.find_first_not_of("0123456789") != std::string::npos ||
		(_port = std::stoi(portText)) < 1 || _port > 65535)
		throw ApiException::badRequest("invalid port '" + portText + "': the proxy needs a port from 1 to 65535");
}


std::string ProxyHandler::sendRequest(Poco::Net::HTTPServerRequest& request, bool upgrade)
{
	const bool chunked = request.getChunkedTransferEncoding();
	const bool body = Http::hasBody(request);
	std::string head = requestHead(request, upgrade, chunked);
	sendHead(head, !body && !upgrade);
	if (body)
	{
		_bodyStarted = true;
		BodyForwarder(request, _settings.bodyTimeout).forward(*_pUpstream);
	}
	return head;
}


ProxyHandler::Framing ProxyHandler::writeResponseHead(Poco::Net::HTTPServerResponse& response, const std::string& head, bool upgrade)
{
	Framing framing;
	std::string reason;
	UpstreamReader::Headers headers;
	readResponseHead(head, framing.status, reason, headers);

	framing.reusable = !upgrade;
	response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(framing.status), reason);
	for (const auto& h: headers)
	{
		std::string name = Poco::toLower(h.first);
		if (name == "content-length")
		{
			framing.length = std::stoll(h.second);
			continue;
		}
		if (name == "connection" && Poco::toLower(h.second).find("close") != std::string::npos) framing.reusable = false;
		if (name == "transfer-encoding")
		{
			framing.chunked = Poco::toLower(h.second).find("chunked") != std::string::npos;
			continue;
		}
		// A 101 keeps the upstream's Upgrade; Connection is set once in relay() (an
		// added copy would make two, which WebSocket clients such as undici's refuse).
		if (HOP_BY_HOP.count(name) && !(framing.status == 101 && name == "upgrade")) continue;
		if (name == "date") response.erase("Date");
		response.add(h.first, h.second);
	}
	return framing;
}


void ProxyHandler::relay(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response, const Framing& framing)
{
	auto& client = Http::socketOf(request);
	if (framing.status == 101)
	{
		response.set("Connection", "Upgrade");
		response.send().flush();
		tunnel(client);
		response.setKeepAlive(false);
		return;
	}
	if (request.getMethod() == "HEAD" || framing.status == 204 || framing.status == 304)
	{
		if (framing.length >= 0) response.setContentLength64(framing.length);
		response.send();
		if (framing.reusable) release();
		return;
	}
	if (framing.chunked)
		relayChunked(response, framing.reusable);
	else if (framing.length >= 0)
		relaySized(response, client, framing.length, framing.reusable);
	else
		relayUntilClose(response);
}


std::string ProxyHandler::requestHead(Poco::Net::HTTPServerRequest& request, bool upgrade, bool chunked) const
{
	std::string target = "/" + _match.param("rest");
	const std::string& uri = request.getURI();
	std::size_t q = uri.find('?');
	if (q != std::string::npos) target += uri.substr(q);
	std::string client = request.clientAddress().host().toString();

	std::string head = request.getMethod() + " " + target + " HTTP/1.1\r\n";
	// execd's access token is for execd: it goes on only to execd itself (the
	// SDK in Docker mode reaches execd through /proxy/44772/), never to an
	// application on another port.
	const bool toExecd = _port == request.serverAddress().port();
	std::string forwardedFor;
	for (const auto& h: request)
	{
		std::string name = Poco::toLower(h.first);
		if (HOP_BY_HOP.count(name) || name == "x-forwarded-host" || name == "x-forwarded-proto") continue;
		if (name == "x-execd-access-token" && !toExecd) continue;
		if (name == "x-forwarded-for")
		{
			if (forwardedFor.empty()) forwardedFor = Poco::trim(h.second.substr(0, h.second.find(',')));
			continue;
		}
		if (name == "content-length" && chunked) continue;
		head += h.first + ": " + h.second + "\r\n";
	}
	if (forwardedFor.empty()) forwardedFor = request.get("X-Real-IP", request.clientAddress().toString());
	head += "X-Forwarded-For: " + forwardedFor + ", " + client + "\r\n";
	head += "X-Forwarded-Proto: http\r\n";
	if (upgrade)
		head += "Connection: Upgrade\r\nUpgrade: " + request.get("Upgrade") + "\r\n";
	else
		head += "Connection: keep-alive\r\n";
	if (chunked) head += "Transfer-Encoding: chunked\r\n";
	head += "\r\n";
	return head;
}


void ProxyHandler::sendHead(const std::string& head, bool mayPool)
{
	if (mayPool)
	{
		_pUpstream = ConnectionPool::instance().take(_port);
		_pooled = _pUpstream != nullptr;
	}
	if (!_pUpstream) _pUpstream = connect();
	try
	{
		sendAll(*_pUpstream, head.data(), head.size());
	}
	catch (Poco::Exception&)
	{
		if (!_pooled) throw;
		_pUpstream = connect();   // the pooled connection had gone stale
		_pooled = false;
		sendAll(*_pUpstream, head.data(), head.size());
	}
}


void ProxyHandler::readResponseHead(const std::string& head, int& status, std::string& reason, UpstreamReader::Headers& headers)
{
	_pReader = std::make_unique<UpstreamReader>(*_pUpstream);
	try
	{
		_pReader->readHead(status, reason, headers);
	}
	catch (Poco::Exception&)
	{
		if (!_pooled) throw;
		// Closed by the upstream just as it was taken from the pool: once more,
		// on a fresh connection (there is no body to lose).
		_pUpstream = connect();
		_pooled = false;
		sendAll(*_pUpstream, head.data(), head.size());
		_pReader = std::make_unique<UpstreamReader>(*_pUpstream);
		headers.clear();
		_pReader->readHead(status, reason, headers);
	}
	while (status >= 100 && status < 200 && status != 101)
	{
		headers.clear();
		_pReader->readHead(status, reason, headers);   // interim responses are not passed on
	}
}


void ProxyHandler::relayChunked(Poco::Net::HTTPServerResponse& response, bool reusable)
{
	// Chunk by chunk, each flushed at once: SSE events arrive one by one.
	UpstreamReader& reader = *_pReader;
	std::vector<char> buffer(64 * 1024);
	response.setChunkedTransferEncoding(true);
	std::ostream& out = response.send();
	for (;;)
	{
		std::string sizeLine = reader.line();
		long long size = std::stoll(sizeLine.substr(0, sizeLine.find(';')), nullptr, 16);
		if (size == 0)
		{
			while (!reader.line().empty())
			{
			}
			break;
		}
		while (size > 0)
		{
			std::size_t n = reader.take(buffer.data(), static_cast<std::size_t>(std::min<long long>(size, static_cast<long long>(buffer.size()))));
			if (n == 0) throw Poco::Net::MessageException("the upstream ended inside a chunk");
			out.write(buffer.data(), static_cast<std::streamsize>(n));
			size -= static_cast<long long>(n);
		}
		out.flush();
		if (!out.good()) throw Poco::IOException("the client went away");
		reader.line();
	}
	if (reusable) release();
}


void ProxyHandler::relaySized(Poco::Net::HTTPServerResponse& response, Poco::Net::StreamSocket& client, long long length, bool reusable)
{
	// A sized body goes straight to the client's socket in large writes (POCO's
	// response stream would send it 4 KiB at a time).
	response.setContentLength64(length);
	response.send().flush();
	std::vector<char> big(256 * 1024);
	long long left = length;
	while (left > 0)
	{
		std::size_t n = _pReader->take(big.data(), static_cast<std::size_t>(std::min<long long>(left, static_cast<long long>(big.size()))));
		if (n == 0) throw Poco::Net::MessageException("the upstream ended the body early");
		sendAll(client, big.data(), n);
		left -= static_cast<long long>(n);
	}
	if (reusable) release();
}


void ProxyHandler::relayUntilClose(Poco::Net::HTTPServerResponse& response)
{
	// No length: the upstream closes the connection at the end of the body.
	std::vector<char> buffer(64 * 1024);
	response.setChunkedTransferEncoding(true);
	std::ostream& out = response.send();
	for (;;)
	{
		std::size_t n = _pReader->take(buffer.data(), buffer.size());
		if (n == 0) break;
		out.write(buffer.data(), static_cast<std::streamsize>(n));
		out.flush();
		if (!out.good()) throw Poco::IOException("the client went away");
	}
}


void ProxyHandler::tunnel(Poco::Net::StreamSocket& client)
{
	// Raw bytes both ways until either side closes or stays silent past the idle timeout.
	Poco::Net::StreamSocket& upstream = *_pUpstream;
	std::vector<char> buffer(64 * 1024);
	while (_pReader->available() > 0)
	{
		std::size_t n = _pReader->take(buffer.data(), buffer.size());
		sendAll(client, buffer.data(), n);
	}
	struct pollfd fds[2];
	fds[0].fd = client.impl()->sockfd();
	fds[1].fd = upstream.impl()->sockfd();
	bool done = false;
	while (!done)
	{
		fds[0].events = fds[1].events = POLLIN;
		fds[0].revents = fds[1].revents = 0;
		int ready = ::poll(fds, 2, static_cast<int>(_settings.idleTimeout.count()));
		if (ready < 0 && errno == EINTR) continue;
		if (ready <= 0) break;
		for (int i = 0; i < 2 && !done; ++i)
		{
			if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
			ssize_t n = ::recv(fds[i].fd, buffer.data(), buffer.size(), 0);
			if (n <= 0)
			{
				done = true;
				break;
			}
			try
			{
				sendAll(i == 0 ? upstream : client, buffer.data(), static_cast<std::size_t>(n));
			}
			catch (Poco::Exception&)
			{
				done = true;
			}
		}
	}
	abort();
	try
	{
		client.shutdown();
	}
	catch (Poco::Exception&)
	{
	}
}


void ProxyHandler::release()
{
	// Only a connection whose exchange ended exactly at the end of a response
	// may serve another request.
	if (_pUpstream && _pReader && _pReader->available() == 0)
		ConnectionPool::instance().give(_port, std::move(_pUpstream));
}


void ProxyHandler::abort()
{
	// Closed, never pooled: an upstream that was sent part of a body sees the
	// connection end instead of a terminating chunk.
	_pReader.reset();
	if (!_pUpstream) return;
	try
	{
		_pUpstream->shutdown();
	}
	catch (Poco::Exception&)
	{
	}
	_pUpstream->close();
	_pUpstream.reset();
}


std::unique_ptr<Poco::Net::StreamSocket> ProxyHandler::connect() const
{
	auto socket = std::make_unique<Poco::Net::StreamSocket>();
	try
	{
		socket->connect(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(_port)), timespan(_settings.connectTimeout));
	}
	catch (Poco::Exception& exc)
	{
		throw ApiException(502, ErrorCode::RUNTIME_ERROR, "bad gateway: cannot connect to 127.0.0.1:" + std::to_string(_port) + ": " + exc.displayText());
	}
	socket->setNoDelay(true);
	socket->setReceiveTimeout(timespan(_settings.idleTimeout));
	socket->setSendTimeout(timespan(_settings.idleTimeout));
	return socket;
}


ApiException ProxyHandler::clientError(const std::exception& exc, const Poco::Net::HTTPServerRequest& request) const
{
	// A Poco::Exception that is no ApiException comes from talking to the
	// upstream (a reset, a timeout, malformed HTTP): the gateway's fault, not
	// execd's. Everything else is mapped as for any handler.
	if (!dynamic_cast<const ApiException*>(&exc))
	{
		if (auto pPoco = dynamic_cast<const Poco::Exception*>(&exc))
			return ApiException(502, ErrorCode::RUNTIME_ERROR, "bad gateway: " + pPoco->displayText());
	}
	return Http::translate(exc, request.getMethod() + " " + _match.pattern());
}


} } // namespace execd::proxy
