#include "KernelMessage.h"
#include "Poco/JSON/Parser.h"
#include <cppunit/extensions/HelperMacros.h>
#include <string>


using execd::jupyter::KernelMessage;


namespace {


Poco::JSON::Object::Ptr parse(const std::string& text)
{
	return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
}


} // namespace


class KernelMessageTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(KernelMessageTest);
	CPPUNIT_TEST(testReadsChannelTypeParentAndContent);
	CPPUNIT_TEST(testMissingPartsReadAsEmpty);
	CPPUNIT_TEST(testExecutionStateOnlyForStatusMessages);
	CPPUNIT_TEST(testResultsRenameTextPlainAndKeepOtherTypes);
	CPPUNIT_TEST(testResultsOfNoDataAreEmpty);
	CPPUNIT_TEST(testErrorTakesNameValueAndTraceback);
	CPPUNIT_TEST(testErrorWithoutNameTakesTheDefault);
	CPPUNIT_TEST(testErrorConvertsTracebackEntriesToText);
	CPPUNIT_TEST_SUITE_END();

public:
	void testReadsChannelTypeParentAndContent()
	{
		KernelMessage message(parse(R"({"channel":"iopub","header":{"msg_type":"stream"},)"
			R"("parent_header":{"msg_id":"s-3"},"content":{"name":"stdout","text":"hi"}})"));
		CPPUNIT_ASSERT_EQUAL(std::string("iopub"), message.channel());
		CPPUNIT_ASSERT_EQUAL(std::string("stream"), message.type());
		CPPUNIT_ASSERT_EQUAL(std::string("s-3"), message.parentId());
		CPPUNIT_ASSERT_EQUAL(std::string("hi"), message.content()->getValue<std::string>("text"));
	}

	void testMissingPartsReadAsEmpty()
	{
		KernelMessage message(parse(R"({"header":"not an object"})"));
		CPPUNIT_ASSERT_EQUAL(std::string(""), message.channel());
		CPPUNIT_ASSERT_EQUAL(std::string(""), message.type());
		CPPUNIT_ASSERT_EQUAL(std::string(""), message.parentId());
		CPPUNIT_ASSERT(!message.content());
		CPPUNIT_ASSERT_EQUAL(std::string(""), message.executionState());
	}

	void testExecutionStateOnlyForStatusMessages()
	{
		KernelMessage status(parse(R"({"header":{"msg_type":"status"},"content":{"execution_state":"busy"}})"));
		CPPUNIT_ASSERT_EQUAL(std::string("busy"), status.executionState());
		KernelMessage other(parse(R"({"header":{"msg_type":"stream"},"content":{"execution_state":"busy"}})"));
		CPPUNIT_ASSERT_EQUAL(std::string(""), other.executionState());
		KernelMessage empty(parse(R"({"header":{"msg_type":"status"}})"));
		CPPUNIT_ASSERT_EQUAL(std::string(""), empty.executionState());
	}

	void testResultsRenameTextPlainAndKeepOtherTypes()
	{
		auto results = KernelMessage::results(parse(R"({"text/plain":"2","text/html":"<b>2</b>","image/png":"iVBO"})"));
		CPPUNIT_ASSERT_EQUAL(std::size_t(3), results->size());
		CPPUNIT_ASSERT_EQUAL(std::string("2"), results->getValue<std::string>("text"));
		CPPUNIT_ASSERT(!results->has("text/plain"));
		CPPUNIT_ASSERT_EQUAL(std::string("<b>2</b>"), results->getValue<std::string>("text/html"));
		CPPUNIT_ASSERT_EQUAL(std::string("iVBO"), results->getValue<std::string>("image/png"));
	}

	void testResultsOfNoDataAreEmpty()
	{
		auto results = KernelMessage::results(nullptr);
		CPPUNIT_ASSERT(results);
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), results->size());
	}

	void testErrorTakesNameValueAndTraceback()
	{
		auto detail = KernelMessage::error(*parse(R"({"ename":"ZeroDivisionError","evalue":"division by zero",)"
			R"("traceback":["line 1","line 2"]})"), "");
		CPPUNIT_ASSERT_EQUAL(std::string("ZeroDivisionError"), detail.ename);
		CPPUNIT_ASSERT_EQUAL(std::string("division by zero"), detail.evalue);
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), detail.traceback.size());
		CPPUNIT_ASSERT_EQUAL(std::string("line 2"), detail.traceback[1]);
		CPPUNIT_ASSERT(!detail.tracebackNull);
	}

	void testErrorWithoutNameTakesTheDefault()
	{
		auto detail = KernelMessage::error(*parse("{}"), "Error");
		CPPUNIT_ASSERT_EQUAL(std::string("Error"), detail.ename);
		CPPUNIT_ASSERT_EQUAL(std::string(""), detail.evalue);
		CPPUNIT_ASSERT(detail.traceback.empty());
		CPPUNIT_ASSERT_EQUAL(std::string(""), KernelMessage::error(*parse("{}"), "").ename);
	}

	void testErrorConvertsTracebackEntriesToText()
	{
		auto detail = KernelMessage::error(*parse(R"({"traceback":[1,"two"]})"), "");
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), detail.traceback.size());
		CPPUNIT_ASSERT_EQUAL(std::string("1"), detail.traceback[0]);
		CPPUNIT_ASSERT_EQUAL(std::string("two"), detail.traceback[1]);
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(KernelMessageTest);
