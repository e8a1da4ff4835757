#include "execd/StreamEvent.h"
#include <cppunit/extensions/HelperMacros.h>


using execd::ErrorDetail;
using execd::StreamEvent;


class StreamEventTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(StreamEventTest);
	CPPUNIT_TEST(testInitBytes);
	CPPUNIT_TEST(testZeroFieldsAreOmitted);
	CPPUNIT_TEST(testFieldOrder);
	CPPUNIT_TEST(testResultKeysSortedAndNested);
	CPPUNIT_TEST(testErrorAlwaysHasThreeKeys);
	CPPUNIT_TEST(testEscapesLikeGo);
	CPPUNIT_TEST(testInvalidUtf8BecomesReplacement);
	CPPUNIT_TEST(testValidMultibyteIsKept);
	CPPUNIT_TEST(testTimestampIsStampedWhenZero);
	CPPUNIT_TEST_SUITE_END();

public:
	void testInitBytes()
	{
		StreamEvent e = StreamEvent::init("5f0c9d2e8b7a4c1d9e3f2a1b0c9d8e7f");
		e.timestamp = 1767607200000;
		CPPUNIT_ASSERT_EQUAL(std::string("{\"type\":\"init\",\"text\":\"5f0c9d2e8b7a4c1d9e3f2a1b0c9d8e7f\",\"timestamp\":1767607200000}"), e.toJson());
	}

	void testZeroFieldsAreOmitted()
	{
		StreamEvent e = StreamEvent::complete(0);
		e.timestamp = 5;
		CPPUNIT_ASSERT_EQUAL(std::string("{\"type\":\"execution_complete\",\"timestamp\":5}"), e.toJson());
		e = StreamEvent::stdoutText("");
		e.timestamp = 5;
		CPPUNIT_ASSERT_EQUAL(std::string("{\"type\":\"stdout\",\"timestamp\":5}"), e.toJson());
	}

	void testFieldOrder()
	{
		StreamEvent e = StreamEvent::count(7);
		e.text = "x";
		e.executionTime = 35;
		e.timestamp = 1;
		CPPUNIT_ASSERT_EQUAL(std::string("{\"type\":\"execution_count\",\"text\":\"x\",\"execution_count\":7,\"execution_time\":35,\"timestamp\":1}"), e.toJson());
	}

	void testResultKeysSortedAndNested()
	{
		Poco::JSON::Object::Ptr pResults = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
		pResults->set("text", "2");
		Poco::JSON::Object::Ptr pJson = new Poco::JSON::Object;
		pJson->set("a", 1);
		pResults->set("application/json", pJson);
		pResults->set("image/png", "iVBOR");
		StreamEvent e = StreamEvent::result(pResults);
		e.timestamp = 1;
		CPPUNIT_ASSERT_EQUAL(std::string("{\"type\":\"result\",\"timestamp\":1,\"results\":{\"application/json\":{\"a\":1},\"image/png\":\"iVBOR\",\"text\":\"2\"}}"), e.toJson());
	}

	void testErrorAlwaysHasThreeKeys()
	{
		StreamEvent e = StreamEvent::failure(ErrorDetail{"CommandExecError", "3", {"exit status 3"}, false});
		e.timestamp = 1;
		CPPUNIT_ASSERT_EQUAL(std::string("{\"type\":\"error\",\"timestamp\":1,\"error\":{\"ename\":\"CommandExecError\",\"evalue\":\"3\",\"traceback\":[\"exit status 3\"]}}"), e.toJson());
		e = StreamEvent::failure(ErrorDetail{"KeyboardInterrupt", "", {}, false});
		e.timestamp = 1;
		CPPUNIT_ASSERT_EQUAL(std::string("{\"type\":\"error\",\"timestamp\":1,\"error\":{\"ename\":\"KeyboardInterrupt\",\"evalue\":\"\",\"traceback\":[]}}"), e.toJson());
		e = StreamEvent::failure(ErrorDetail{"DBQueryError", "x", {}, true});
		e.timestamp = 1;
		CPPUNIT_ASSERT_EQUAL(std::string("{\"type\":\"error\",\"timestamp\":1,\"error\":{\"ename\":\"DBQueryError\",\"evalue\":\"x\",\"traceback\":null}}"), e.toJson());
	}

	void testEscapesLikeGo()
	{
		CPPUNIT_ASSERT_EQUAL(std::string("\"a\\\"b\\\\c\\n\\r\\t\\u0001\\u001f\""), execd::Json::quote("a\"b\\c\n\r\t\x01\x1f"));
		CPPUNIT_ASSERT_EQUAL(std::string("\"\\u003cb\\u003e\\u0026\""), execd::Json::quote("<b>&"));
		CPPUNIT_ASSERT_EQUAL(std::string("\"\\u2028\\u2029\""), execd::Json::quote("\xE2\x80\xA8\xE2\x80\xA9"));
		CPPUNIT_ASSERT_EQUAL(std::string("\"/\""), execd::Json::quote("/"));
	}

	void testInvalidUtf8BecomesReplacement()
	{
		const std::string fffd = "\xEF\xBF\xBD";
		CPPUNIT_ASSERT_EQUAL("\"a" + fffd + "b\"", execd::Json::quote("a\xFF" "b"));
		CPPUNIT_ASSERT_EQUAL("\"" + fffd + "\"", execd::Json::quote("\xC3"));            // truncated sequence
		CPPUNIT_ASSERT_EQUAL("\"" + fffd + fffd + "\"", execd::Json::quote("\xC0\xAF"));  // overlong
		CPPUNIT_ASSERT_EQUAL("\"" + fffd + fffd + fffd + "\"", execd::Json::quote("\xED\xA0\x80"));   // surrogate
		CPPUNIT_ASSERT_EQUAL("x" + fffd + "y", execd::Json::sanitizeUtf8("x\x80y"));
	}

	void testValidMultibyteIsKept()
	{
		CPPUNIT_ASSERT_EQUAL(std::string("\"\xC3\xA9\xE6\x8A\xA5\xF0\x9F\x98\x80\""), execd::Json::quote("\xC3\xA9\xE6\x8A\xA5\xF0\x9F\x98\x80"));
	}

	void testTimestampIsStampedWhenZero()
	{
		std::string json = StreamEvent::ping().toJson();
		CPPUNIT_ASSERT(json.rfind("{\"type\":\"ping\",\"text\":\"pong\",\"timestamp\":17", 0) == 0);
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(StreamEventTest);
