#include "execd/ApiException.h"
#include "execd/ConfigReader.h"
#include "execd/Http.h"
#include "execd/Module.h"
#include "Poco/ClassLibrary.h"
#include "Poco/Net/HTTPServerRequestImpl.h"
#include "Poco/Net/NetException.h"
#include "Poco/Net/SocketAddress.h"
#include "Poco/Net/StreamSocket.h"
#include "Poco/String.h"
#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <thread>
#include <map>
#include <memory>
#include <mutex>
#include <poll.h>
#include <set>
#include <vector>


namespace execd {
namespace proxy {


namespace {


const std::set<std::string> HOP_BY_HOP{"connection", "keep-alive", "proxy-connection", "proxy-authenticate",
	"proxy-authorization", "te", "trailer", "trailers", "transfer-encoding", "upgrade"};


class ConnectionPool
	/// Idle keep-alive connections to proxied ports, reused by requests without a
	/// body (a request with one always gets a fresh connection, so that a stale
	/// pooled connection never costs a body that cannot be sent again).
{
public:
	static ConnectionPool& instance()
	{
		static ConnectionPool pool;
		return pool;
	}

	~ConnectionPool()
	{
		stop();
	}

	std::unique_ptr<Poco::Net::StreamSocket> take(int port)
	{
		std::lock_guard<std::mutex> lock(_mutex);
		auto& idle = _idle[port];
		while (!idle.empty())
		{
			Entry e = std::move(idle.back());
			idle.pop_back();
			if (std::chrono::steady_clock::now() - e.since > std::chrono::seconds(30)) continue;
			// Readable while idle means closed (or garbage): not reusable. One
			// poll(2), where POCO 1.11's Socket::poll costs four system calls.
			struct pollfd p{e.socket->impl()->sockfd(), POLLIN, 0};
			if (::poll(&p, 1, 0) != 0) continue;
			return std::move(e.socket);
		}
		return nullptr;
	}

	void give(int port, std::unique_ptr<Poco::Net::StreamSocket> socket)
	{
		std::lock_guard<std::mutex> lock(_mutex);
		auto& idle = _idle[port];
		if (idle.size() >= 64) return;
		idle.push_back(Entry{std::move(socket), std::chrono::steady_clock::now()});
	}

	void clear()
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_idle.clear();
	}

	void start()
		/// A thread that closes connections idle for more than 30 s or closed by
		/// their server, every 5 s, so that no descriptor lingers.
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (_pruner.joinable()) return;
		_stop = false;
		_pruner = std::thread([this] {
			std::unique_lock<std::mutex> lock(_mutex);
			while (!_wake.wait_for(lock, std::chrono::seconds(5), [this] { return _stop; }))
			{
				auto now = std::chrono::steady_clock::now();
				for (auto& port: _idle)
				{
					auto& v = port.second;
					v.erase(std::remove_if(v.begin(), v.end(), [now](const Entry& e) {
						struct pollfd p{e.socket->impl()->sockfd(), POLLIN, 0};
						return now - e.since > std::chrono::seconds(30) || ::poll(&p, 1, 0) != 0;
					}), v.end());
				}
			}
		});
	}

	void stop()
	{
		{
			std::lock_guard<std::mutex> lock(_mutex);
			_stop = true;
		}
		_wake.notify_all();
		if (_pruner.joinable()) _pruner.join();
		clear();
	}

private:
	struct Entry
	{
		std::unique_ptr<Poco::Net::StreamSocket> socket;
		std::chrono::steady_clock::time_point since;
	};
	std::mutex _mutex;
	std::condition_variable _wake;
	bool _stop = false;
	std::thread _pruner;
	std::map<int, std::vector<Entry>> _idle;
};


class Upstream
	/// A buffered reader over the connection to the proxied port.
{
public:
	Upstream(Poco::Net::StreamSocket& socket):
		_socket(socket),
		_buffer(64 * 1024)
	{
	}

	std::size_t available() const
	{
		return _end - _begin;
	}

	bool fill()
		/// Reads what the socket has; false at end of stream.
	{
		if (_begin == _end) _begin = _end = 0;
		if (_end == _buffer.size())
		{
			std::memmove(_buffer.data(), _buffer.data() + _begin, _end - _begin);
			_end -= _begin;
			_begin = 0;
		}
		int n = _socket.receiveBytes(_buffer.data() + _end, static_cast<int>(_buffer.size() - _end));
		if (n <= 0) return false;
		_end += static_cast<std::size_t>(n);
		return true;
	}

	std::string line()
		/// One CRLF-terminated line, without the CRLF.
	{
		for (;;)
		{
			const char* start = _buffer.data() + _begin;
			const void* lf = std::memchr(start, '\n', _end - _begin);
			if (lf)
			{
				std::size_t len = static_cast<std::size_t>(static_cast<const char*>(lf) - start);
				std::string out(start, len);
				_begin += len + 1;
				if (!out.empty() && out.back() == '\r') out.pop_back();
				return out;
			}
			if (_end - _begin >= _buffer.size() - 1) throw Poco::Net::MessageException("header line too long");
			if (!fill()) throw Poco::Net::MessageException("the upstream closed the connection");
		}
	}

	std::size_t take(char* out, std::size_t max)
		/// Buffered bytes first, then at most one read.
	{
		if (_begin == _end && !fill()) return 0;
		std::size_t n = std::min(max, _end - _begin);
		std::memcpy(out, _buffer.data() + _begin, n);
		_begin += n;
		return n;
	}

private:
	Poco::Net::StreamSocket& _socket;
	std::vector<char> _buffer;
	std::size_t _begin = 0;
	std::size_t _end = 0;
};


class ProxyHandler: public Poco::Net::HTTPRequestHandler
	/// /proxy/{port}/{path...}: the request to 127.0.0.1:{port}, bodies streamed
	/// both ways, WebSocket upgrades tunnelled.
{
public:
	ProxyHandler(const RouteMatch& match, std::chrono::milliseconds idle):
		_match(match),
		_idle(idle)
	{
	}

	void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override
	{
		try
		{
			forward(request, response);
		}
		catch (ApiException& exc)
		{
			if (!response.sent()) Http::sendError(response, exc);
			else response.setKeepAlive(false);
		}
		catch (Poco::Exception& exc)
		{
			if (!response.sent())
				Http::sendError(response, ApiException(502, ErrorCode::RUNTIME_ERROR, "bad gateway: " + exc.displayText()));
			else
				response.setKeepAlive(false);
		}
	}

private:
	void forward(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
	{
		const std::string& portText = _match.param("port");
		int port = 0;
		if (portText.empty() || portText.size() > 5 || portText.find_first_not_of("0123456789") != std::string::npos ||
			(port = std::stoi(portText)) < 1 || port > 65535)
			throw ApiException::badRequest("invalid port '" + portText + "': the proxy needs a port from 1 to 65535");
		std::string target = "/" + _match.param("rest");
		const std::string& uri = request.getURI();
		std::size_t q = uri.find('?');
		if (q != std::string::npos) target += uri.substr(q);

		const bool upgrade = Poco::icompare(request.get("Upgrade", ""), "websocket") == 0;
		const bool chunked = request.getChunkedTransferEncoding();
		const bool body = Http::hasBody(request);
		std::unique_ptr<Poco::Net::StreamSocket> pUpstream;
		bool pooled = false;
		if (!body && !upgrade)
		{
			pUpstream = ConnectionPool::instance().take(port);
			pooled = pUpstream != nullptr;
		}
		if (!pUpstream) pUpstream = connect(port, portText);
		Poco::Net::StreamSocket& upstream = *pUpstream;
		auto& impl = static_cast<Poco::Net::HTTPServerRequestImpl&>(request);
		std::string client = impl.clientAddress().host().toString();

		std::string head = request.getMethod() + " " + target + " HTTP/1.1\r\n";
		std::string forwardedFor;
		for (const auto& h: request)
		{
			std::string name = Poco::toLower(h.first);
			if (HOP_BY_HOP.count(name) || name == "x-forwarded-host" || name == "x-forwarded-proto") continue;
			if (name == "x-forwarded-for")
			{
				if (forwardedFor.empty()) forwardedFor = Poco::trim(h.second.substr(0, h.second.find(',')));
				continue;
			}
			if (name == "content-length" && chunked) continue;
			head += h.first + ": " + h.second + "\r\n";
		}
		if (forwardedFor.empty()) forwardedFor = request.get("X-Real-IP", impl.clientAddress().toString());
		head += "X-Forwarded-For: " + forwardedFor + ", " + client + "\r\n";
		head += "X-Forwarded-Proto: http\r\n";
		if (upgrade)
			head += "Connection: Upgrade\r\nUpgrade: " + request.get("Upgrade") + "\r\n";
		else
			head += "Connection: keep-alive\r\n";
		if (chunked) head += "Transfer-Encoding: chunked\r\n";
		head += "\r\n";
		Poco::Net::StreamSocket* pSocket = &upstream;
		try
		{
			sendAll(*pSocket, head.data(), head.size());
		}
		catch (Poco::Exception&)
		{
			if (!pooled) throw;
			pUpstream = connect(port, portText);   // the pooled connection had gone stale
			pooled = false;
			pSocket = pUpstream.get();
			sendAll(*pSocket, head.data(), head.size());
		}

		if (body)
		{
			std::istream& in = request.stream();
			std::vector<char> buffer(64 * 1024);
			while (in)
			{
				in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
				std::size_t n = static_cast<std::size_t>(in.gcount());
				if (n == 0) break;
				if (chunked)
				{
					char size[32];
					int len = std::snprintf(size, sizeof(size), "%zx\r\n", n);
					sendAll(*pSocket, size, static_cast<std::size_t>(len));
					sendAll(*pSocket, buffer.data(), n);
					sendAll(*pSocket, "\r\n", 2);
				}
				else
				{
					sendAll(*pSocket, buffer.data(), n);
				}
			}
			if (chunked) sendAll(*pSocket, "0\r\n\r\n", 5);
		}

		std::unique_ptr<Upstream> pReader = std::make_unique<Upstream>(*pSocket);
		int status = 0;
		std::string reason;
		std::vector<std::pair<std::string, std::string>> headers;
		try
		{
			readHead(*pReader, status, reason, headers);
		}
		catch (Poco::Exception&)
		{
			if (!pooled) throw;
			// Closed by the upstream just as it was taken from the pool: once more,
			// on a fresh connection (there is no body to lose).
			pUpstream = connect(port, portText);
			pooled = false;
			pSocket = pUpstream.get();
			sendAll(*pSocket, head.data(), head.size());
			pReader = std::make_unique<Upstream>(*pSocket);
			headers.clear();
			readHead(*pReader, status, reason, headers);
		}
		Upstream& reader = *pReader;
		while (status >= 100 && status < 200 && status != 101)
		{
			headers.clear();
			readHead(reader, status, reason, headers);   // interim responses are not passed on
		}

		long long length = -1;
		bool upstreamChunked = false;
		bool reusable = !upgrade;
		response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status), reason);
		for (const auto& h: headers)
		{
			std::string name = Poco::toLower(h.first);
			if (name == "content-length")
			{
				length = std::stoll(h.second);
				continue;
			}
			if (name == "connection" && Poco::toLower(h.second).find("close") != std::string::npos) reusable = false;
			if (name == "transfer-encoding")
			{
				upstreamChunked = Poco::icompare(h.second, "chunked") == 0 || Poco::toLower(h.second).find("chunked") != std::string::npos;
				continue;
			}
			if (HOP_BY_HOP.count(name) && !(status == 101 && (name == "upgrade" || name == "connection"))) continue;
			if (name == "date") response.erase("Date");
			response.add(h.first, h.second);
		}

		if (status == 101)
		{
			response.set("Connection", "Upgrade");
			response.send().flush();
			tunnel(impl.socket(), *pSocket, reader);
			response.setKeepAlive(false);
			return;
		}
		const bool noBody = request.getMethod() == "HEAD" || status == 204 || status == 304;
		if (noBody)
		{
			if (length >= 0) response.setContentLength64(length);
			response.send();
			if (reusable && reader.available() == 0) ConnectionPool::instance().give(port, std::move(pUpstream));
			return;
		}
		std::vector<char> buffer(64 * 1024);
		if (upstreamChunked)
		{
			// Chunk by chunk, each flushed at once: SSE events arrive one by one.
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
			if (reusable && reader.available() == 0) ConnectionPool::instance().give(port, std::move(pUpstream));
			return;
		}
		if (length >= 0)
		{
			// A sized body goes straight to the client's socket in large writes
			// (POCO's response stream would send it 4 KiB at a time).
			response.setContentLength64(length);
			response.send().flush();
			Poco::Net::StreamSocket& client = impl.socket();
			std::vector<char> big(256 * 1024);
			long long left = length;
			while (left > 0)
			{
				std::size_t n = reader.take(big.data(), static_cast<std::size_t>(std::min<long long>(left, static_cast<long long>(big.size()))));
				if (n == 0) throw Poco::Net::MessageException("the upstream ended the body early");
				sendAll(client, big.data(), n);
				left -= static_cast<long long>(n);
			}
			if (reusable && reader.available() == 0) ConnectionPool::instance().give(port, std::move(pUpstream));
			return;
		}
		// No length: the upstream closes the connection at the end of the body.
		response.setChunkedTransferEncoding(true);
		std::ostream& out = response.send();
		for (;;)
		{
			std::size_t n = reader.take(buffer.data(), buffer.size());
			if (n == 0) break;
			out.write(buffer.data(), static_cast<std::streamsize>(n));
			out.flush();
			if (!out.good()) throw Poco::IOException("the client went away");
		}
	}

	static std::unique_ptr<Poco::Net::StreamSocket> connectTo(int port, const std::string& portText, std::chrono::milliseconds idle)
	{
		auto socket = std::make_unique<Poco::Net::StreamSocket>();
		try
		{
			socket->connect(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)), Poco::Timespan(10, 0));
		}
		catch (Poco::Exception& exc)
		{
			throw ApiException(502, ErrorCode::RUNTIME_ERROR, "bad gateway: cannot connect to 127.0.0.1:" + portText + ": " + exc.displayText());
		}
		socket->setNoDelay(true);
		socket->setReceiveTimeout(Poco::Timespan(static_cast<long>(idle.count() / 1000), static_cast<long>((idle.count() % 1000) * 1000)));
		socket->setSendTimeout(Poco::Timespan(static_cast<long>(idle.count() / 1000), 0));
		return socket;
	}

	std::unique_ptr<Poco::Net::StreamSocket> connect(int port, const std::string& portText) const
	{
		return connectTo(port, portText, _idle);
	}

	static void readHead(Upstream& reader, int& status, std::string& reason, std::vector<std::pair<std::string, std::string>>& headers)
	{
		std::string statusLine = reader.line();
		// HTTP/1.1 200 OK
		std::size_t sp = statusLine.find(' ');
		if (statusLine.compare(0, 5, "HTTP/") != 0 || sp == std::string::npos)
			throw Poco::Net::MessageException("malformed upstream status line");
		status = std::atoi(statusLine.c_str() + sp + 1);
		std::size_t sp2 = statusLine.find(' ', sp + 1);
		reason = sp2 == std::string::npos ? "" : statusLine.substr(sp2 + 1);
		if (status < 100 || status > 999) throw Poco::Net::MessageException("malformed upstream status line");
		for (int i = 0; i < 200; ++i)
		{
			std::string line = reader.line();
			if (line.empty()) return;
			std::size_t colon = line.find(':');
			if (colon == std::string::npos) continue;
			headers.emplace_back(Poco::trim(line.substr(0, colon)), Poco::trim(line.substr(colon + 1)));
		}
		throw Poco::Net::MessageException("too many upstream headers");
	}

	static void sendAll(Poco::Net::StreamSocket& socket, const char* data, std::size_t size)
	{
		while (size > 0)
		{
			int n = socket.sendBytes(data, static_cast<int>(std::min<std::size_t>(size, 1 << 20)));
			if (n <= 0) throw Poco::IOException("the upstream stopped reading");
			data += n;
			size -= static_cast<std::size_t>(n);
		}
	}

	void tunnel(Poco::Net::StreamSocket& client, Poco::Net::StreamSocket& upstream, Upstream& reader)
		/// Raw bytes both ways until either side closes or stays silent past the idle timeout.
	{
		std::vector<char> buffer(64 * 1024);
		while (reader.available() > 0)
		{
			std::size_t n = reader.take(buffer.data(), buffer.size());
			sendAll(client, buffer.data(), n);
		}
		struct pollfd fds[2];
		fds[0].fd = client.impl()->sockfd();
		fds[1].fd = upstream.impl()->sockfd();
		for (;;)
		{
			fds[0].events = fds[1].events = POLLIN;
			fds[0].revents = fds[1].revents = 0;
			int ready = ::poll(fds, 2, static_cast<int>(_idle.count()));
			if (ready <= 0)
			{
				if (ready < 0 && errno == EINTR) continue;
				break;
			}
			bool done = false;
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
			if (done) break;
		}
		try
		{
			upstream.shutdown();
		}
		catch (...)
		{
		}
		try
		{
			client.shutdown();
		}
		catch (...)
		{
		}
	}

	RouteMatch _match;
	std::chrono::milliseconds _idle;
};


class MissingPortHandler: public Poco::Net::HTTPRequestHandler
{
public:
	void handleRequest(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& response) override
	{
		Http::sendError(response, ApiException::badRequest("port is required: /proxy/{port}/{path}"));
	}
};


} // namespace


class ProxyModule: public Module
	/// /proxy/{port}/{path...} to 127.0.0.1:{port}: how the SDK reaches execd (and
	/// any port in the sandbox) from outside a bridge network.
{
public:
	std::string name() const override
	{
		return "proxy";
	}

	void configure(ModuleContext& context) override
	{
		_idle = context.settings().getMillis("idleTimeoutMillis", std::chrono::milliseconds(600000),
			std::chrono::milliseconds(1000), std::chrono::hours(24));
	}

	std::vector<Route> routes() override
	{
		std::vector<Route> routes;
		auto idle = _idle;
		for (const char* method: {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
		{
			auto make = [idle](const RouteMatch& m) { return std::make_unique<ProxyHandler>(m, idle); };
			routes.push_back({method, "/proxy/{port}", make});
			routes.push_back({method, "/proxy/{port}/{rest*}", make});
			routes.push_back({method, "/proxy", [](const RouteMatch&) { return std::make_unique<MissingPortHandler>(); }});
		}
		return routes;
	}

	void start() override
	{
		ConnectionPool::instance().start();
	}

	void shutdown() override
	{
		ConnectionPool::instance().stop();
	}

private:
	std::chrono::milliseconds _idle{600000};
};


} } // namespace execd::proxy


POCO_BEGIN_MANIFEST(execd::Module)
	POCO_EXPORT_CLASS(execd::proxy::ProxyModule)
POCO_END_MANIFEST
