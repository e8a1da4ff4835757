#include "TslabHooks.h"
#include <cppunit/extensions/HelperMacros.h>
#include <optional>
#include <string>


using execd::ErrorDetail;
using execd::jupyter::TslabHooks;


class TslabHooksTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(TslabHooksTest);
	CPPUNIT_TEST(testOnlyTslabKernelsWantHooks);
	CPPUNIT_TEST(testEachSetOfHooksHasItsOwnTag);
	CPPUNIT_TEST(testCodeEvaluatesTheHooksWithTheTag);
	CPPUNIT_TEST(testMarksOnlyTaggedText);
	CPPUNIT_TEST(testValueBecomesTheResult);
	CPPUNIT_TEST(testErrorBecomesTheError);
	CPPUNIT_TEST(testLaterErrorsAddTheirTraceback);
	CPPUNIT_TEST(testMalformedErrorKeepsItsText);
	CPPUNIT_TEST_SUITE_END();

public:
	void testOnlyTslabKernelsWantHooks()
	{
		CPPUNIT_ASSERT(TslabHooks::wanted("tslab"));
		CPPUNIT_ASSERT(TslabHooks::wanted("jslab"));
		CPPUNIT_ASSERT(!TslabHooks::wanted("ipython"));
		CPPUNIT_ASSERT(!TslabHooks::wanted(""));
	}

	void testEachSetOfHooksHasItsOwnTag()
	{
		TslabHooks a;
		TslabHooks b;
		CPPUNIT_ASSERT(a.tag() != b.tag());
		CPPUNIT_ASSERT_EQUAL('\x1f', a.tag().front());
		CPPUNIT_ASSERT_EQUAL(':', a.tag().back());
		CPPUNIT_ASSERT_EQUAL(std::size_t(34), a.tag().size());   // \x1f, 32 hex digits, ':'
	}

	void testCodeEvaluatesTheHooksWithTheTag()
	{
		TslabHooks hooks("#tag:");
		std::string code = hooks.code();
		CPPUNIT_ASSERT_EQUAL(0, code.compare(0, 10, "void eval("));
		CPPUNIT_ASSERT_EQUAL(std::string(");\n"), code.substr(code.size() - 3));
		CPPUNIT_ASSERT(code.find("@TAG@") == std::string::npos);
		CPPUNIT_ASSERT(code.find("#tag:") != std::string::npos);
		CPPUNIT_ASSERT(code.find("hook(process.stderr, 'E')") != std::string::npos);
	}

	void testMarksOnlyTaggedText()
	{
		TslabHooks hooks("#t:");
		CPPUNIT_ASSERT(hooks.marks("#t:R1\n"));
		CPPUNIT_ASSERT(!hooks.marks("#t:"));
		CPPUNIT_ASSERT(!hooks.marks("x#t:R1"));
		CPPUNIT_ASSERT(!hooks.marks("plain output\n"));
		CPPUNIT_ASSERT(!TslabHooks("").marks("anything"));
	}

	void testValueBecomesTheResult()
	{
		TslabHooks hooks("#t:");
		Poco::JSON::Object::Ptr result;
		std::optional<ErrorDetail> error;
		hooks.read("#t:R[ 1, 2 ]\n", result, error);
		CPPUNIT_ASSERT(result);
		CPPUNIT_ASSERT_EQUAL(std::string("[ 1, 2 ]"), result->getValue<std::string>("text"));
		CPPUNIT_ASSERT(!error);
		hooks.read("#t:R3", result, error);
		CPPUNIT_ASSERT_EQUAL(std::string("3"), result->getValue<std::string>("text"));
	}

	void testErrorBecomesTheError()
	{
		TslabHooks hooks("#t:");
		Poco::JSON::Object::Ptr result;
		std::optional<ErrorDetail> error;
		hooks.read(R"(#t:E{"ename":"TypeError","evalue":"x is not a function","traceback":["TypeError: x","    at f"]})" "\n",
			result, error);
		CPPUNIT_ASSERT(!result);
		CPPUNIT_ASSERT(error);
		CPPUNIT_ASSERT_EQUAL(std::string("TypeError"), error->ename);
		CPPUNIT_ASSERT_EQUAL(std::string("x is not a function"), error->evalue);
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), error->traceback.size());
	}

	void testLaterErrorsAddTheirTraceback()
	{
		TslabHooks hooks("#t:");
		Poco::JSON::Object::Ptr result;
		std::optional<ErrorDetail> error;
		hooks.read(R"(#t:E{"ename":"CompileError","evalue":"first","traceback":["1:1 - first"]})", result, error);
		hooks.read(R"(#t:E{"evalue":"second","traceback":["2:1 - second"]})", result, error);
		CPPUNIT_ASSERT_EQUAL(std::string("CompileError"), error->ename);
		CPPUNIT_ASSERT_EQUAL(std::string("first"), error->evalue);
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), error->traceback.size());
		CPPUNIT_ASSERT_EQUAL(std::string("2:1 - second"), error->traceback[1]);
	}

	void testMalformedErrorKeepsItsText()
	{
		TslabHooks hooks("#t:");
		Poco::JSON::Object::Ptr result;
		std::optional<ErrorDetail> error;
		hooks.read("#t:Enot json\n", result, error);
		CPPUNIT_ASSERT_EQUAL(std::string("Error"), error->ename);
		CPPUNIT_ASSERT_EQUAL(std::string("not json"), error->evalue);
		CPPUNIT_ASSERT(error->traceback.empty());
		std::optional<ErrorDetail> named;
		hooks.read(R"(#t:E{"evalue":"v"})", result, named);
		CPPUNIT_ASSERT_EQUAL(std::string("Error"), named->ename);
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(TslabHooksTest);
