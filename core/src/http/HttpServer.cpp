#include "http/HttpServer.h"
#include "http/HttpConnection.h"
#include "http/RequestHead.h"
#include "execd/Http.h"
#include "Poco/Net/NetException.h"
#include "Poco/Net/StreamSocketImpl.h"
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>


namespace execd {


namespace {


// epoll tags for the two descriptors that are not connections.
char listenerTag;
char wakeTag;

// Descriptors kept free for everything that is not a connection: modules,
// child processes' pipes, log files, kernels' sockets.
const rlim_t RESERVED_DESCRIPTORS = 256;

// How long a closed connection's remaining input is read and thrown away, so that
// our last answer is not lost to a reset, and how much of it.
const std::chrono::milliseconds LINGER_TIME{2000};
const std::size_t LINGER_BYTES = 1 << 20;

const std::chrono::milliseconds SWEEP_INTERVAL{500};


std::string peerKey(const sockaddr_storage& address)
{
	// The address without the port: what a per-client limit counts. An IPv4
	// client seen through an IPv6 socket counts as itself.
	if (address.ss_family == AF_INET)
	{
		const auto& in = reinterpret_cast<const sockaddr_in&>(address);
		return std::string(reinterpret_cast<const char*>(&in.sin_addr), sizeof(in.sin_addr));
	}
	if (address.ss_family == AF_INET6)
	{
		const auto& in6 = reinterpret_cast<const sockaddr_in6&>(address);
		if (IN6_IS_ADDR_V4MAPPED(&in6.sin6_addr))
			return std::string(reinterpret_cast<const char*>(&in6.sin6_addr) + 12, 4);
		return std::string(reinterpret_cast<const char*>(&in6.sin6_addr), sizeof(in6.sin6_addr));
	}
	return std::string();
}


int clampToDescriptors(int wanted)
{
	struct rlimit files;
	if (::getrlimit(RLIMIT_NOFILE, &files) != 0 || files.rlim_cur == RLIM_INFINITY) return wanted;
	rlim_t room = files.rlim_cur > RESERVED_DESCRIPTORS * 2 ? files.rlim_cur - RESERVED_DESCRIPTORS : files.rlim_cur / 2;
	return static_cast<int>(std::min<rlim_t>(static_cast<rlim_t>(wanted), room));
}


} // namespace


HttpServer::HttpServer(const HttpSettings& settings, RequestDispatcher& dispatcher):
	_settings(settings),
	_dispatcher(dispatcher),
	_workers(settings.maxThreads, static_cast<std::size_t>(settings.maxQueued), settings.threadIdleTime,
		settings.threadStackBytes, [this](HttpConnection* p) { serveOnWorker(p); }),
	_scratch(settings.maxHeadBytes + 1)
{
	_settings.maxConnections = clampToDescriptors(settings.maxConnections);
	Poco::Net::SocketAddress address(settings.bindAddress, static_cast<Poco::UInt16>(settings.port));
	_socket.bind(address, true, false);   // SO_REUSEADDR, never SO_REUSEPORT: a second execd must fail
	_socket.listen(settings.backlog);
	_socket.setBlocking(false);

	_pParams = new Poco::Net::HTTPServerParams;
	_pParams->setMaxThreads(settings.maxThreads);   // never 0: POCO asserts on it
	_pParams->setTimeout(Poco::Timespan(settings.requestTimeout.count() * 1000));
	_pParams->setKeepAlive(true);
	_pParams->setKeepAliveTimeout(Poco::Timespan(settings.keepAliveTimeout.count() * 1000));
	_pParams->setMaxKeepAliveRequests(0);

	_epoll = ::epoll_create1(EPOLL_CLOEXEC);
	_wakeFd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	_reserveFd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (_epoll < 0 || _wakeFd < 0)
		throw Poco::Net::NetException("cannot set up the connection reactor", std::strerror(errno));
	epoll_event event{};
	event.events = EPOLLIN;
	event.data.ptr = &listenerTag;
	::epoll_ctl(_epoll, EPOLL_CTL_ADD, _socket.impl()->sockfd(), &event);
	event.data.ptr = &wakeTag;
	::epoll_ctl(_epoll, EPOLL_CTL_ADD, _wakeFd, &event);
}


HttpServer::~HttpServer()
{
	try
	{
		stopAccepting();
		abortAll();
		joinAll();
	}
	catch (...)
	{
	}
	for (HttpConnection* p: _connections)
		delete p;
	if (_epoll >= 0) ::close(_epoll);
	if (_wakeFd >= 0) ::close(_wakeFd);
	if (_reserveFd >= 0) ::close(_reserveFd);
}


void HttpServer::start()
{
	_reactor = std::thread([this] { runReactor(); });
}


Poco::UInt16 HttpServer::port() const
{
	return _socket.address().port();
}


void HttpServer::stopAccepting()
{
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (_stopping) return;
		_stopping = true;
	}
	wake();
	if (_reactor.joinable()) _reactor.join();
	try
	{
		_socket.close();
	}
	catch (Poco::Exception&)
	{
	}
}


bool HttpServer::waitIdle(std::chrono::milliseconds timeout)
{
	std::unique_lock<std::mutex> lock(_mutex);
	return _changed.wait_for(lock, timeout, [this] { return _connections.empty(); });
}


void HttpServer::abortAll()
{
	std::lock_guard<std::mutex> lock(_mutex);
	for (HttpConnection* p: _connections)
		p->abort();
}


void HttpServer::joinAll()
{
	_workers.stop();
}


void HttpServer::collectIdleThreads()
{
	_workers.collect();
}


std::size_t HttpServer::openConnections() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _connections.size();
}


bool HttpServer::stopping() const
{
	return _stopping;
}


bool HttpServer::hasBacklog() const
{
	return _workers.hasBacklog();
}


const HttpSettings& HttpServer::settings() const
{
	return _settings;
}


void HttpServer::runReactor()
{
	epoll_event events[256];
	auto nextSweep = std::chrono::steady_clock::now() + SWEEP_INTERVAL;
	while (!_stopping)
	{
		int n = ::epoll_wait(_epoll, events, 256, static_cast<int>(SWEEP_INTERVAL.count()));
		for (int i = 0; i < n; ++i)
		{
			void* tag = events[i].data.ptr;
			if (tag == &listenerTag)
			{
				acceptAll();
			}
			else if (tag == &wakeTag)
			{
				eventfd_t value;
				::eventfd_read(_wakeFd, &value);
			}
			else
			{
				onEvent(static_cast<HttpConnection*>(tag), events[i].events);
			}
		}
		auto now = std::chrono::steady_clock::now();
		if (now >= nextSweep)
		{
			closeIdle(&now);
			nextSweep = now + SWEEP_INTERVAL;
		}
	}
	closeIdle(nullptr);
}


void HttpServer::acceptAll()
{
	const int listener = _socket.impl()->sockfd();
	for (int i = 0; i < 256; ++i)
	{
		sockaddr_storage address;
		socklen_t length = sizeof(address);
		int fd = ::accept4(listener, reinterpret_cast<sockaddr*>(&address), &length, SOCK_CLOEXEC);
		if (fd < 0)
		{
			if (errno == EINTR || errno == ECONNABORTED) continue;
			if ((errno == EMFILE || errno == ENFILE) && _reserveFd >= 0)
			{
				// Out of descriptors: use the one kept for this to tell the client,
				// rather than leave it in the backlog to be accepted in a busy loop.
				::close(_reserveFd);
				fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
				if (fd >= 0) reject(fd, 503, ErrorCode::TOO_MANY_CONNECTIONS, "execd is out of file descriptors");
				_reserveFd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
			}
			return;
		}
		admit(fd, peerKey(address));
	}
}


bool HttpServer::admit(int fd, const std::string& peer)
{
	std::unique_lock<std::mutex> lock(_mutex);
	if (_connections.size() >= static_cast<std::size_t>(_settings.maxConnections))
	{
		lock.unlock();
		reject(fd, 503, ErrorCode::TOO_MANY_CONNECTIONS,
			"execd has " + std::to_string(_settings.maxConnections) + " connections open, its limit (execd.http.maxConnections)");
		return false;
	}
	int& fromPeer = _perPeer[peer];
	if (fromPeer >= _settings.maxConnectionsPerPeer)
	{
		lock.unlock();
		reject(fd, 503, ErrorCode::TOO_MANY_CONNECTIONS,
			"this address has " + std::to_string(_settings.maxConnectionsPerPeer) + " connections open, the limit (execd.http.maxConnectionsPerPeer)");
		return false;
	}
	HttpConnection* pConnection = nullptr;
	try
	{
		Poco::Net::StreamSocket socket(new Poco::Net::StreamSocketImpl(fd));
		// Events and small responses must not wait for delayed ACKs; a client
		// that stops reading fails our writes after the send timeout.
		socket.setNoDelay(true);
		socket.setSendTimeout(Poco::Timespan(_settings.sendTimeout.count() * 1000));
		socket.setReceiveTimeout(Poco::Timespan(_settings.requestTimeout.count() * 1000));
		pConnection = new HttpConnection(socket, peer, *this);
	}
	catch (Poco::Exception&)
	{
		return false;   // the socket (and with it fd) is gone already
	}
	++fromPeer;
	_connections.insert(pConnection);
	if (!watch(pConnection, HttpConnection::State::WAITING))
	{
		lock.unlock();
		release(pConnection);
		return false;
	}
	return true;
}


void HttpServer::onEvent(HttpConnection* pConnection, unsigned events)
{
	if (pConnection->state() == HttpConnection::State::LINGERING)
		discard(pConnection);
	else
		readHead(pConnection, events);
}


void HttpServer::readHead(HttpConnection* pConnection, unsigned events)
{
	// The head is looked at, not taken: the worker's parser reads it from the
	// socket as if it had waited for it itself.
	ssize_t n = ::recv(pConnection->fd(), _scratch.data(), _scratch.size(), MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
	if (n <= 0)
	{
		release(pConnection);   // closed by the peer, or broken
		return;
	}
	std::size_t size = static_cast<std::size_t>(n);
	std::size_t end = RequestHead::findEnd(_scratch.data(), size, pConnection->scanned);
	if (end != RequestHead::NPOS && end <= _settings.maxHeadBytes)
	{
		handOff(pConnection);
		return;
	}
	if (size > _settings.maxHeadBytes)
	{
		pConnection->sendError(431, ErrorCode::INVALID_REQUEST_BODY,
			"malformed HTTP request: the request head exceeds " + std::to_string(_settings.maxHeadBytes) + " bytes");
		await(pConnection, HttpConnection::State::LINGERING);   // still watched: nothing to add
		discard(pConnection);
		return;
	}
	if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
	{
		release(pConnection);   // half a head, and no more will come
		return;
	}
	// A head has begun: from now on it has the request timeout to arrive whole,
	// however slowly its bytes trickle in.
	if (pConnection->scanned == 0)
		pConnection->deadline = std::chrono::steady_clock::now() + _settings.requestTimeout;
	pConnection->scanned = size;
}


void HttpServer::handOff(HttpConnection* pConnection)
{
	::epoll_ctl(_epoll, EPOLL_CTL_DEL, pConnection->fd(), nullptr);
	pConnection->setState(HttpConnection::State::BUSY);
	if (!_workers.submit(pConnection))
	{
		pConnection->sendError(503, ErrorCode::TOO_MANY_CONNECTIONS, "execd has too many requests waiting for a thread");
		release(pConnection);
	}
}


void HttpServer::discard(HttpConnection* pConnection)
{
	for (;;)
	{
		ssize_t n = ::recv(pConnection->fd(), _scratch.data(), _scratch.size(), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR) continue;
		if (n < 0 && errno == EAGAIN) return;
		if (n <= 0) break;
		pConnection->scanned += static_cast<std::size_t>(n);
		if (pConnection->scanned > LINGER_BYTES) break;
	}
	release(pConnection);
}


void HttpServer::closeIdle(const std::chrono::steady_clock::time_point* pBefore)
{
	std::vector<HttpConnection*> idle;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		for (HttpConnection* p: _connections)
		{
			if (p->state() != HttpConnection::State::BUSY && (!pBefore || p->deadline < *pBefore))
				idle.push_back(p);
		}
	}
	for (HttpConnection* p: idle)
		release(p);
}


void HttpServer::await(HttpConnection* pConnection, HttpConnection::State state)
{
	pConnection->scanned = 0;
	auto timeout = state == HttpConnection::State::LINGERING ? LINGER_TIME : _settings.keepAliveTimeout;
	pConnection->deadline = std::chrono::steady_clock::now() + timeout;
	pConnection->setState(state);
}


bool HttpServer::watch(HttpConnection* pConnection, HttpConnection::State state)
{
	await(pConnection, state);
	epoll_event event{};
	event.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
	event.data.ptr = pConnection;
	return ::epoll_ctl(_epoll, EPOLL_CTL_ADD, pConnection->fd(), &event) == 0;
}


void HttpServer::serveOnWorker(HttpConnection* pConnection)
{
	HttpConnection::Outcome outcome = HttpConnection::Outcome::CLOSE;
	try
	{
		outcome = pConnection->serve(_dispatcher, _pParams);
	}
	catch (std::exception&)
	{
	}
	if (outcome == HttpConnection::Outcome::CLOSE)
	{
		release(pConnection);
		return;
	}
	if (outcome == HttpConnection::Outcome::LINGER)
	{
		try
		{
			pConnection->socket().shutdownSend();
		}
		catch (Poco::Exception&)
		{
			release(pConnection);
			return;
		}
	}
	// Back to the reactor, unless it has stopped: stopAccepting() sets
	// _stopping under the same lock before the reactor closes what it holds.
	std::unique_lock<std::mutex> lock(_mutex);
	if (!_stopping)
	{
		bool linger = outcome == HttpConnection::Outcome::LINGER;
		if (watch(pConnection, linger ? HttpConnection::State::LINGERING : HttpConnection::State::WAITING)) return;
	}
	lock.unlock();
	release(pConnection);
}


void HttpServer::release(HttpConnection* pConnection)
{
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_connections.erase(pConnection);
		auto it = _perPeer.find(pConnection->peer());
		if (it != _perPeer.end() && --it->second <= 0) _perPeer.erase(it);
	}
	delete pConnection;   // closes the socket, which also takes it out of epoll
	_changed.notify_all();
}


void HttpServer::reject(int fd, int status, const std::string& code, const std::string& message)
{
	std::string body = Http::errorJson(code, message);
	std::string reason = status == 503 ? "Service Unavailable" : "Error";
	std::string bytes = "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\n"
		"Content-Type: application/json; charset=utf-8\r\nContent-Length: " + std::to_string(body.size())
		+ "\r\nConnection: close\r\nRetry-After: 1\r\n\r\n" + body;
	ssize_t sent = ::send(fd, bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
	(void) sent;
	::shutdown(fd, SHUT_WR);
	::close(fd);
}


void HttpServer::wake()
{
	::eventfd_write(_wakeFd, 1);
}


} // namespace execd
