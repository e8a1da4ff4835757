#include "HttpServer.h"
#include "HttpConnection.h"
#include "Poco/Net/TCPServerConnectionFactory.h"


namespace execd {


namespace {


class ConnectionFactory: public Poco::Net::TCPServerConnectionFactory
{
public:
	ConnectionFactory(Poco::Net::HTTPServerParams::Ptr pParams, RequestDispatcher& dispatcher, HttpServer& server):
		_pParams(pParams),
		_dispatcher(dispatcher),
		_server(server)
	{
	}

	Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& socket) override
	{
		return new HttpConnection(socket, _pParams, _dispatcher, _server);
	}

private:
	Poco::Net::HTTPServerParams::Ptr _pParams;
	RequestDispatcher& _dispatcher;
	HttpServer& _server;
};


int seconds(std::chrono::milliseconds ms)
{
	return static_cast<int>(std::max<long long>(1, (ms.count() + 999) / 1000));
}


} // namespace


HttpServer::HttpServer(const HttpSettings& settings, RequestDispatcher& dispatcher):
	_settings(settings),
	_dispatcher(dispatcher),
	_pool("http", 2, settings.maxThreads, seconds(settings.threadIdleTime), settings.threadStackBytes)
{
	Poco::Net::SocketAddress address(settings.bindAddress, static_cast<Poco::UInt16>(settings.port));
	_socket.bind(address, true, false);   // SO_REUSEADDR, never SO_REUSEPORT: a second execd must fail
	_socket.listen(settings.backlog);

	_pParams = new Poco::Net::HTTPServerParams;
	_pParams->setMaxThreads(settings.maxThreads);   // never 0: POCO asserts on it
	_pParams->setMaxQueued(settings.maxQueued);
	_pParams->setThreadIdleTime(Poco::Timespan(settings.threadIdleTime.count() * 1000));
	_pParams->setTimeout(Poco::Timespan(settings.requestTimeout.count() * 1000));
	_pParams->setKeepAlive(true);
	_pParams->setKeepAliveTimeout(Poco::Timespan(settings.keepAliveTimeout.count() * 1000));
	_pParams->setMaxKeepAliveRequests(0);
	_pServer.reset(new Poco::Net::TCPServer(new ConnectionFactory(_pParams, dispatcher, *this), _pool, _socket, _pParams));
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
}


void HttpServer::start()
{
	_pServer->start();
}


Poco::UInt16 HttpServer::port() const
{
	return _socket.address().port();
}


void HttpServer::stopAccepting()
{
	if (_stopping.exchange(true)) return;
	_pServer->stop();
	try
	{
		_socket.close();
	}
	catch (Poco::Exception&)
	{
	}
	std::lock_guard<std::mutex> lock(_mutex);
	for (HttpConnection* p: _connections)
		p->closeIfIdle();
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
	_pool.joinAll();
}


void HttpServer::collectIdleThreads()
{
	_pool.collect();
}


int HttpServer::threadsInUse() const
{
	return _pServer->currentThreads();
}


std::size_t HttpServer::openConnections() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _connections.size();
}


void HttpServer::expireStalledConnections()
{
	const auto limit = _settings.keepAliveTimeout + _settings.requestTimeout;
	const auto now = std::chrono::steady_clock::now();
	std::lock_guard<std::mutex> lock(_mutex);
	for (HttpConnection* p: _connections)
	{
		if (p->waitingSince(now) > limit)
			p->abort();
	}
}


void HttpServer::connectionOpened(HttpConnection* pConnection)
{
	std::lock_guard<std::mutex> lock(_mutex);
	_connections.insert(pConnection);
	if (_stopping) pConnection->closeIfIdle();
}


void HttpServer::connectionClosed(HttpConnection* pConnection)
{
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_connections.erase(pConnection);
	}
	_changed.notify_all();
}


Poco::Timespan HttpServer::sendTimeout() const
{
	return Poco::Timespan(_settings.sendTimeout.count() * 1000);
}


bool HttpServer::stopping() const
{
	return _stopping;
}


} // namespace execd
