#include "ExecdProcess.h"
#include "server/ReadyHandler.h"
#include "Poco/Net/HTTPRequestHandlerFactory.h"
#include "Poco/Net/HTTPServer.h"
#include "Poco/Net/ServerSocket.h"
#include <cppunit/extensions/HelperMacros.h>


namespace {


class RouteFactory: public Poco::Net::HTTPRequestHandlerFactory
{
public:
	explicit RouteFactory(execd::Route route):
		_route(std::move(route))
	{
	}

	Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override
	{
		return _route.create(execd::RouteMatch()).release();
	}

private:
	execd::Route _route;
};


} // namespace


class ReadyHandlerTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(ReadyHandlerTest);
	CPPUNIT_TEST(testNotReadyIs503ThenReadyIs200);
	CPPUNIT_TEST_SUITE_END();

public:
	void testNotReadyIs503ThenReadyIs200()
	{
		std::atomic<bool> ready{false};
		execd::Route route = execd::readyRoute(ready);
		CPPUNIT_ASSERT_EQUAL(std::string("GET"), route.method);
		CPPUNIT_ASSERT_EQUAL(std::string("/ready"), route.pattern);
		Poco::Net::HTTPServer server(new RouteFactory(route), Poco::Net::ServerSocket(0), new Poco::Net::HTTPServerParams);
		server.start();
		execd::test::HttpResult r = execd::test::request(server.port(), "GET", "/ready");
		CPPUNIT_ASSERT_EQUAL(503, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"initialized\":false}"), r.body);
		ready = true;
		r = execd::test::request(server.port(), "GET", "/ready");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"initialized\":true}"), r.body);
		server.stopAll(true);
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(ReadyHandlerTest);
