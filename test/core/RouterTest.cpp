#include "execd/Router.h"
#include "Poco/Exception.h"
#include <cppunit/extensions/HelperMacros.h>


using execd::Route;
using execd::RouteMatch;
using execd::Router;


namespace {


Route route(const std::string& method, const std::string& pattern)
{
	return Route{method, pattern, [](const RouteMatch&) { return std::unique_ptr<Poco::Net::HTTPRequestHandler>(); }};
}


} // namespace


class RouterTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(RouterTest);
	CPPUNIT_TEST(testLiteralRoute);
	CPPUNIT_TEST(testParamsAreExtracted);
	CPPUNIT_TEST(testLiteralBeatsParam);
	CPPUNIT_TEST(testRestParamTakesTheRest);
	CPPUNIT_TEST(testWrongMethodListsAllowed);
	CPPUNIT_TEST(testUnknownPathIsNotFound);
	CPPUNIT_TEST(testTrailingSlashIsADifferentPath);
	CPPUNIT_TEST(testEmptyParamDoesNotMatch);
	CPPUNIT_TEST(testDuplicateNamesBothOwners);
	CPPUNIT_TEST(testMalformedPatternsAreRejected);
	CPPUNIT_TEST_SUITE_END();

public:
	void testLiteralRoute()
	{
		Router router;
		router.add(route("GET", "/ping"), "core");
		Router::Result r = router.find("GET", "/ping");
		CPPUNIT_ASSERT(r.outcome == Router::Result::FOUND);
		CPPUNIT_ASSERT_EQUAL(std::string("/ping"), r.match.pattern());
	}

	void testParamsAreExtracted()
	{
		Router router;
		router.add(route("GET", "/command/{id}/logs"), "shell");
		Router::Result r = router.find("GET", "/command/abc123/logs");
		CPPUNIT_ASSERT(r.outcome == Router::Result::FOUND);
		CPPUNIT_ASSERT_EQUAL(std::string("abc123"), r.match.param("id"));
		CPPUNIT_ASSERT_EQUAL(std::string(""), r.match.param("other"));
	}

	void testLiteralBeatsParam()
	{
		Router router;
		router.add(route("GET", "/command/{id}"), "a");
		router.add(route("GET", "/command/status"), "b");
		router.add(route("GET", "/command/status/{id}"), "c");
		CPPUNIT_ASSERT_EQUAL(std::string("/command/status"), router.find("GET", "/command/status").match.pattern());
		CPPUNIT_ASSERT_EQUAL(std::string("/command/{id}"), router.find("GET", "/command/xyz").match.pattern());
		Router::Result r = router.find("GET", "/command/status/42");
		CPPUNIT_ASSERT_EQUAL(std::string("/command/status/{id}"), r.match.pattern());
		CPPUNIT_ASSERT_EQUAL(std::string("42"), r.match.param("id"));
	}

	void testRestParamTakesTheRest()
	{
		Router router;
		router.add(route("GET", "/proxy/{port}/{path*}"), "proxy");
		Router::Result r = router.find("GET", "/proxy/8080/a/b/c");
		CPPUNIT_ASSERT(r.outcome == Router::Result::FOUND);
		CPPUNIT_ASSERT_EQUAL(std::string("8080"), r.match.param("port"));
		CPPUNIT_ASSERT_EQUAL(std::string("a/b/c"), r.match.param("path"));
		r = router.find("GET", "/proxy/8080/");
		CPPUNIT_ASSERT(r.outcome == Router::Result::FOUND);
		CPPUNIT_ASSERT_EQUAL(std::string(""), r.match.param("path"));
		r = router.find("GET", "/proxy/8080");
		CPPUNIT_ASSERT(r.outcome == Router::Result::FOUND);
		CPPUNIT_ASSERT_EQUAL(std::string(""), r.match.param("path"));
	}

	void testWrongMethodListsAllowed()
	{
		Router router;
		router.add(route("GET", "/code/contexts/{id}"), "core");
		router.add(route("DELETE", "/code/contexts/{id}"), "core");
		Router::Result r = router.find("POST", "/code/contexts/x");
		CPPUNIT_ASSERT(r.outcome == Router::Result::METHOD_NOT_ALLOWED);
		CPPUNIT_ASSERT_EQUAL(std::string("DELETE, GET"), r.allowed);
	}

	void testUnknownPathIsNotFound()
	{
		Router router;
		router.add(route("GET", "/ping"), "core");
		CPPUNIT_ASSERT(router.find("GET", "/pong").outcome == Router::Result::NOT_FOUND);
		CPPUNIT_ASSERT(router.find("GET", "").outcome == Router::Result::NOT_FOUND);
		CPPUNIT_ASSERT(router.find("GET", "ping").outcome == Router::Result::NOT_FOUND);
	}

	void testTrailingSlashIsADifferentPath()
	{
		Router router;
		router.add(route("GET", "/files/info"), "files");
		CPPUNIT_ASSERT(router.find("GET", "/files/info/").outcome == Router::Result::NOT_FOUND);
	}

	void testEmptyParamDoesNotMatch()
	{
		Router router;
		router.add(route("GET", "/code/contexts/{id}"), "core");
		CPPUNIT_ASSERT(router.find("GET", "/code/contexts/").outcome == Router::Result::NOT_FOUND);
	}

	void testDuplicateNamesBothOwners()
	{
		Router router;
		router.add(route("GET", "/a/{x}"), "first");
		try
		{
			router.add(route("GET", "/a/{y}"), "second");
			CPPUNIT_FAIL("duplicate accepted");
		}
		catch (Poco::ExistsException& exc)
		{
			CPPUNIT_ASSERT(exc.message().find("'first'") != std::string::npos);
			CPPUNIT_ASSERT(exc.message().find("'second'") != std::string::npos);
		}
		router.add(route("POST", "/a/{y}"), "second");   // another method is fine
	}

	void testMalformedPatternsAreRejected()
	{
		Router router;
		CPPUNIT_ASSERT_THROW(router.add(route("GET", "noslash"), "m"), Poco::InvalidArgumentException);
		CPPUNIT_ASSERT_THROW(router.add(route("GET", "/a/{rest*}/b"), "m"), Poco::InvalidArgumentException);
		CPPUNIT_ASSERT_THROW(router.add(route("GET", "/a/x{y}"), "m"), Poco::InvalidArgumentException);
		CPPUNIT_ASSERT_THROW(router.add(route("GET", "/a/{}"), "m"), Poco::InvalidArgumentException);
		CPPUNIT_ASSERT_THROW(router.add(route("", "/a"), "m"), Poco::InvalidArgumentException);
		CPPUNIT_ASSERT_THROW(router.add(Route{"GET", "/a", nullptr}, "m"), Poco::InvalidArgumentException);
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(RouterTest);
