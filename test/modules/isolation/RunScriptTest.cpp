#include "RunScript.h"
#include "execd/Paths.h"
#include "Poco/Exception.h"
#include <cppunit/extensions/HelperMacros.h>


using execd::isolation::RunScript;


class RunScriptTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(RunScriptTest);
	CPPUNIT_TEST(testInputWithoutEnvs);
	CPPUNIT_TEST(testInputWithEnvsIsASubshell);
	CPPUNIT_TEST(testLines);
	CPPUNIT_TEST(testMarkerMidLineAndSplitReads);
	CPPUNIT_TEST(testOverlongLine);
	CPPUNIT_TEST(testWithARealShell);
	CPPUNIT_TEST_SUITE_END();

public:
	void testInputWithoutEnvs()
	{
		RunScript s("__ISOLATED_RUN_END___u");
		CPPUNIT_ASSERT_EQUAL(std::string("echo hi\necho __ISOLATED_RUN_END___u $?\n"), s.input("echo hi", {}));
		CPPUNIT_ASSERT_EQUAL(std::string("echo hi\necho __ISOLATED_RUN_END___u $?\n"), s.input("echo hi\n", {}));
	}

	void testInputWithEnvsIsASubshell()
	{
		RunScript s("M");
		CPPUNIT_ASSERT_EQUAL(std::string("(\nexport 'A'='1'\nexport 'B'='it'\\''s'\necho $A\n)\necho M $?\n"),
			s.input("echo $A", {{"A", "1"}, {"B", "it's"}}));
	}

	void testLines()
	{
		RunScript s("__M");
		std::vector<std::string> lines;
		const std::string out = "hi\r\noops\n\na\nb\n__M 0\nafter\n";
		s.feed(out.data(), out.size(), lines);
		CPPUNIT_ASSERT_EQUAL(std::size_t(4), lines.size());
		CPPUNIT_ASSERT_EQUAL(std::string("hi"), lines[0]);
		CPPUNIT_ASSERT_EQUAL(std::string("b"), lines[3]);
		CPPUNIT_ASSERT(s.status() && *s.status() == 0);
	}

	void testMarkerMidLineAndSplitReads()
	{
		RunScript s("__M");
		std::vector<std::string> lines;
		for (const std::string& piece: {std::string("no newline__"), std::string("M 3"), std::string("\n")})
			s.feed(piece.data(), piece.size(), lines);
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), lines.size());
		CPPUNIT_ASSERT_EQUAL(std::string("no newline"), lines[0]);
		CPPUNIT_ASSERT_EQUAL(3, *s.status());
		RunScript unended("__M");
		lines.clear();
		unended.feed("tail", 4, lines);
		unended.finish(lines);
		CPPUNIT_ASSERT_EQUAL(std::string("tail"), lines.at(0));
		CPPUNIT_ASSERT(!unended.status());
	}

	void testWithARealShell()
	{
		// What the session's shell makes of the input: state persists without envs,
		// not with them; the status is the code's.
		RunScript first("__M1"), second("__M2"), third("__M3");
		const std::string script = first.input("cd /tmp; X=1; printf 'a'", {}) + second.input("echo $X $PWD; false", {{"Y", "v"}})
			+ third.input("echo ${Y:-unset}; X=2; (exit 3)", {{"Z", "z"}});
		FILE* pipe = ::popen(("printf %s " + execd::Paths::shellQuote(script) + " | /bin/sh 2>&1").c_str(), "r");
		CPPUNIT_ASSERT(pipe);
		std::string out;
		char buffer[4096];
		for (std::size_t n; (n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0;) out.append(buffer, n);
		::pclose(pipe);
		std::vector<std::string> lines;
		first.feed(out.data(), out.size(), lines);
		CPPUNIT_ASSERT_EQUAL(0, *first.status());
		CPPUNIT_ASSERT_EQUAL(std::string("a"), lines.at(0));
		const std::string rest = out.substr(out.find("__M1 0\n") + 7);
		lines.clear();
		second.feed(rest.data(), rest.size(), lines);
		CPPUNIT_ASSERT_EQUAL(std::string("1 /tmp"), lines.at(0));
		CPPUNIT_ASSERT_EQUAL(1, *second.status());
		const std::string last = rest.substr(rest.find("__M2 1\n") + 7);
		lines.clear();
		third.feed(last.data(), last.size(), lines);
		CPPUNIT_ASSERT_EQUAL(std::string("unset"), lines.at(0));
		CPPUNIT_ASSERT_EQUAL(3, *third.status());
	}

	void testOverlongLine()
	{
		// Past MAX_LINE: dropped in bounded memory, the marker still found after it.
		RunScript script("__ISOLATED_RUN_END___m");
		std::vector<std::string> lines;
		script.feed("before\n", 7, lines);
		const std::string block(1 << 20, 'x');
		for (int i = 0; i < 17; ++i) script.feed(block.data(), block.size(), lines);
		CPPUNIT_ASSERT(script.overflowed());
		const std::string end = "tail__ISOLATED_RUN_END___m 130\nlater\n";
		script.feed(end.data(), end.size(), lines);
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), lines.size());
		CPPUNIT_ASSERT_EQUAL(std::string("before"), lines[0]);
		CPPUNIT_ASSERT_EQUAL(130, *script.status());
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(RunScriptTest);
