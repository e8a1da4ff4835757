#include "IsolationConfig.h"
#include "Poco/Exception.h"
#include <cppunit/extensions/HelperMacros.h>


using execd::isolation::IsolationConfig;


class IsolationConfigTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(IsolationConfigTest);
	CPPUNIT_TEST(testKeys);
	CPPUNIT_TEST(testInvalid);
	CPPUNIT_TEST(testMissingFile);
	CPPUNIT_TEST_SUITE_END();

public:
	void testKeys()
	{
		IsolationConfig c = IsolationConfig::parse(
			"# comment\n"
			"upper_root = \"/var/u\\u00e9\"   # trailing\r\n"
			"upper_max_bytes = 8_589_934_592\n"
			"diff_max_bytes = +0\n"
			"allowed_writable = [ '/data', \"/mnt\",\n   # inside\n  \"/x\", ]\n"
			"unknown = 1.5\n"
			"[other]\nupper_root = 'ignored'\n"
			"[seccomp]\ndeny = []\n");
		CPPUNIT_ASSERT_EQUAL(std::string("/var/u\xc3\xa9"), *c.upperRoot);
		CPPUNIT_ASSERT_EQUAL(8589934592LL, *c.upperMaxBytes);
		CPPUNIT_ASSERT_EQUAL(0LL, *c.diffMaxBytes);
		CPPUNIT_ASSERT_EQUAL(std::size_t(3), c.allowedWritable->size());
		CPPUNIT_ASSERT_EQUAL(std::string("/x"), c.allowedWritable->at(2));
		CPPUNIT_ASSERT(c.seccompDeny && c.seccompDeny->empty());
		IsolationConfig empty = IsolationConfig::parse("");
		CPPUNIT_ASSERT(!empty.upperRoot && !empty.allowedWritable && !empty.seccompDeny);
	}

	void testInvalid()
	{
		for (const char* bad: {"upper_root = ", "upper_root = \"x", "upper_root = 1", "upper_max_bytes = \"8\"", "upper_max_bytes = -1",
			"upper_max_bytes = 012", "upper_max_bytes = 1__0", "allowed_writable = \"/x\"", "allowed_writable = [1]",
			"allowed_writable = [\"a\" \"b\"]", "allowed_writable = [[\"a\"]]", "a = 1\na = 2", "[t]\n[t]", "[t", "x", "x = 1 y",
			"upper_root = \"\\q\"", "upper_root = \"\\ud800\"", "upper_max_bytes = 99999999999999999999", "[[t]]"})
		{
			CPPUNIT_ASSERT_THROW_MESSAGE(bad, IsolationConfig::parse(bad), Poco::SyntaxException);
		}
	}

	void testMissingFile()
	{
		CPPUNIT_ASSERT(!IsolationConfig::load("").upperRoot);
		CPPUNIT_ASSERT(!IsolationConfig::load("/nonexistent/isolation.toml").upperRoot);
		CPPUNIT_ASSERT_THROW(IsolationConfig::load("/"), Poco::Exception);   // a directory: unreadable
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(IsolationConfigTest);
