#include "http/RequestDispatcher.h"
#include "execd/Http.h"
#include <cppunit/extensions/HelperMacros.h>


using execd::ApiException;
using execd::JsonBody;


namespace {


std::string errorOf(const std::function<void()>& f)
{
	try
	{
		f();
	}
	catch (ApiException& exc)
	{
		return std::to_string(exc.status()) + " " + exc.errorCode() + " " + exc.message();
	}
	return "no error";
}


} // namespace


class JsonBodyTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(JsonBodyTest);
	CPPUNIT_TEST(testEmptyBodyIsEof);
	CPPUNIT_TEST(testMalformedJson);
	CPPUNIT_TEST(testNonObject);
	CPPUNIT_TEST(testNullBodyIsEmptyObject);
	CPPUNIT_TEST(testTypedGetters);
	CPPUNIT_TEST(testTypeMismatches);
	CPPUNIT_TEST(testKeysMatchCaseInsensitively);
	CPPUNIT_TEST(testIntegerRange);
	CPPUNIT_TEST(testStringMap);
	CPPUNIT_TEST(testDeepNestingIsRejected);
	CPPUNIT_TEST(testConstantTimeEquals);
	CPPUNIT_TEST(testArrays);
	CPPUNIT_TEST_SUITE_END();

public:
	void testEmptyBodyIsEof()
	{
		CPPUNIT_ASSERT_EQUAL(std::string("400 INVALID_REQUEST_BODY p. EOF"), errorOf([] { JsonBody::parse("", "p. "); }));
		CPPUNIT_ASSERT_EQUAL(std::string("400 INVALID_REQUEST_BODY p. EOF"), errorOf([] { JsonBody::parse(" \n", "p. "); }));
	}

	void testMalformedJson()
	{
		std::string e = errorOf([] { JsonBody::parse("{\"code\":", "p. "); });
		CPPUNIT_ASSERT(e.rfind("400 INVALID_REQUEST_BODY p. invalid JSON", 0) == 0);
	}

	void testNonObject()
	{
		CPPUNIT_ASSERT(errorOf([] { JsonBody::parse("[1,2]", ""); }).rfind("400 INVALID_REQUEST_BODY json: cannot unmarshal array", 0) == 0);
		CPPUNIT_ASSERT(errorOf([] { JsonBody::parse("\"x\"", ""); }).rfind("400 INVALID_REQUEST_BODY", 0) == 0);
	}

	void testNullBodyIsEmptyObject()
	{
		JsonBody body = JsonBody::parse("null", "");
		CPPUNIT_ASSERT(!body.has("code"));
	}

	void testTypedGetters()
	{
		JsonBody body = JsonBody::parse("{\"s\":\"x\",\"i\":42,\"b\":true,\"o\":{\"k\":\"v\"},\"n\":null}", "");
		CPPUNIT_ASSERT_EQUAL(std::string("x"), *body.getString("s"));
		CPPUNIT_ASSERT_EQUAL(Poco::Int64(42), *body.getInt("i", 0, 100));
		CPPUNIT_ASSERT(*body.getBool("b"));
		CPPUNIT_ASSERT_EQUAL(std::string("v"), *body.getObject("o")->getString("k"));
		CPPUNIT_ASSERT(!body.getString("n"));
		CPPUNIT_ASSERT(!body.getString("missing"));
		CPPUNIT_ASSERT(!body.has("n"));
	}

	void testTypeMismatches()
	{
		JsonBody body = JsonBody::parse("{\"timeout\":\"5\",\"f\":5.0,\"s\":5,\"b\":1,\"o\":[]}", "p. ");
		CPPUNIT_ASSERT(errorOf([&] { body.getInt("timeout", 0, 10); }).rfind("400 INVALID_REQUEST_BODY p. json: cannot unmarshal string into field \"timeout\"", 0) == 0);
		CPPUNIT_ASSERT(errorOf([&] { body.getInt("f", 0, 10); }).rfind("400 INVALID_REQUEST_BODY", 0) == 0);
		CPPUNIT_ASSERT(errorOf([&] { body.getString("s"); }).rfind("400 INVALID_REQUEST_BODY", 0) == 0);
		CPPUNIT_ASSERT(errorOf([&] { body.getBool("b"); }).rfind("400 INVALID_REQUEST_BODY", 0) == 0);
		CPPUNIT_ASSERT(errorOf([&] { body.getObject("o"); }).rfind("400 INVALID_REQUEST_BODY", 0) == 0);
	}

	void testKeysMatchCaseInsensitively()
	{
		JsonBody body = JsonBody::parse("{\"Code\":\"a\",\"LANGUAGE\":\"py\",\"language\":\"exact\"}", "");
		CPPUNIT_ASSERT_EQUAL(std::string("a"), *body.getString("code"));
		CPPUNIT_ASSERT_EQUAL(std::string("exact"), *body.getString("language"));
	}

	void testIntegerRange()
	{
		JsonBody body = JsonBody::parse("{\"uid\":-1,\"big\":18446744073709551615}", "");
		CPPUNIT_ASSERT(errorOf([&] { body.getInt("uid", 0, 4294967295LL); }).rfind("400 INVALID_REQUEST_BODY", 0) == 0);
		CPPUNIT_ASSERT(errorOf([&] { body.getInt("big", 0, 4294967295LL); }).rfind("400 INVALID_REQUEST_BODY", 0) == 0);
	}

	void testStringMap()
	{
		JsonBody body = JsonBody::parse("{\"envs\":{\"A\":\"1\",\"B\":\"2\"},\"bad\":{\"A\":1}}", "");
		auto envs = body.getStringMap("envs");
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), envs->size());
		CPPUNIT_ASSERT_EQUAL(std::string("2"), envs->at("B"));
		CPPUNIT_ASSERT(errorOf([&] { body.getStringMap("bad"); }).rfind("400 INVALID_REQUEST_BODY", 0) == 0);
	}

	void testDeepNestingIsRejected()
	{
		std::string deep(100000, '[');
		CPPUNIT_ASSERT(errorOf([&] { JsonBody::parse(deep, ""); }).rfind("400 INVALID_REQUEST_BODY", 0) == 0);
		std::string ok = "{\"a\":" + std::string(20, '[') + std::string(20, ']') + "}";
		JsonBody::parse(ok, "");
	}

	void testConstantTimeEquals()
	{
		using execd::RequestDispatcher;
		CPPUNIT_ASSERT(RequestDispatcher::constantTimeEquals("secret", "secret"));
		CPPUNIT_ASSERT(!RequestDispatcher::constantTimeEquals("secret", "secreT"));
		CPPUNIT_ASSERT(!RequestDispatcher::constantTimeEquals("secret", "secret2"));
		CPPUNIT_ASSERT(!RequestDispatcher::constantTimeEquals("", "secret"));
		CPPUNIT_ASSERT(!RequestDispatcher::constantTimeEquals(std::string("a\0b", 3), "a"));
		CPPUNIT_ASSERT(RequestDispatcher::constantTimeEquals("", ""));
	}

	void testArrays()
	{
		JsonBody body = JsonBody::parse("{\"List\":[\"a\",null,\"b\"],\"objs\":[{\"k\":1},null],\"bad\":[1],\"notArray\":\"x\"}", "p: ");
		CPPUNIT_ASSERT(body.getStringArray("list") == std::vector<std::string>({"a", "", "b"}));   // case-insensitive key
		auto objects = body.getObjectArray("objs");
		CPPUNIT_ASSERT(objects && objects->size() == 2 && objects->at(0).getInt("k", 0, 9) == 1 && !objects->at(1).has("k"));
		CPPUNIT_ASSERT(!body.getStringArray("missing"));
		for (const char* key: {"bad", "notArray"})
		{
			try
			{
				body.getStringArray(key);
				CPPUNIT_FAIL(std::string("no error for ") + key);
			}
			catch (ApiException& exc)
			{
				CPPUNIT_ASSERT_EQUAL(400, exc.status());
				CPPUNIT_ASSERT(exc.message().rfind("p: json: cannot unmarshal", 0) == 0);
			}
		}
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(JsonBodyTest);
