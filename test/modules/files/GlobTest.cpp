#include "Glob.h"
#include <chrono>
#include <cppunit/extensions/HelperMacros.h>
#include <string>


using execd::files::Glob;


namespace {


bool matches(const std::string& pattern, const std::string& name)
{
	Glob glob(pattern);
	CPPUNIT_ASSERT_MESSAGE(pattern, glob.valid());
	return glob.match(name);
}


std::string repeated(const std::string& text, std::size_t times)
{
	std::string out;
	for (std::size_t i = 0; i < times; ++i) out += text;
	return out;
}


} // namespace


class GlobTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(GlobTest);
	CPPUNIT_TEST(testStarsAndQuestionMarks);
	CPPUNIT_TEST(testClasses);
	CPPUNIT_TEST(testClassRanges);
	CPPUNIT_TEST(testAlternatives);
	CPPUNIT_TEST(testNegation);
	CPPUNIT_TEST(testDoublestarAndSlashes);
	CPPUNIT_TEST(testEscapesAndLiterals);
	CPPUNIT_TEST(testSyntaxErrors);
	CPPUNIT_TEST(testLengthLimit);
	CPPUNIT_TEST(testNestingLimit);
	CPPUNIT_TEST(testPatternAndMessages);
	CPPUNIT_TEST(testManyStarsArePolynomial);
	CPPUNIT_TEST(testNestedNegationsArePolynomial);
	CPPUNIT_TEST_SUITE_END();

public:
	void testStarsAndQuestionMarks()
	{
		CPPUNIT_ASSERT(matches("*.txt", "a.txt"));
		CPPUNIT_ASSERT(matches("*.txt", ".txt"));
		CPPUNIT_ASSERT(!matches("*.txt", "a.txt.bak"));
		CPPUNIT_ASSERT(matches("*", ""));
		CPPUNIT_ASSERT(matches("**", ".hidden"));
		CPPUNIT_ASSERT(matches("a*b*c", "aXXbYYc"));
		CPPUNIT_ASSERT(!matches("a*b*c", "aXXbYY"));
		CPPUNIT_ASSERT(matches("?.go", "x.go"));
		CPPUNIT_ASSERT(!matches("?.go", ".go"));
		CPPUNIT_ASSERT(matches("?", "\xC3\xA9"));       // one UTF-8 character
		CPPUNIT_ASSERT(!matches("??", "\xC3\xA9"));
		CPPUNIT_ASSERT(matches("", ""));
		CPPUNIT_ASSERT(!matches("", "a"));
	}

	void testClasses()
	{
		CPPUNIT_ASSERT(matches("[abc].txt", "b.txt"));
		CPPUNIT_ASSERT(!matches("[abc].txt", "d.txt"));
		CPPUNIT_ASSERT(matches("[a-z]1", "q1"));
		CPPUNIT_ASSERT(matches("[!a]", "b"));
		CPPUNIT_ASSERT(!matches("[^a]", "a"));
		CPPUNIT_ASSERT(matches("[\\]]", "]"));
		CPPUNIT_ASSERT(matches("[\xC3\xA9]", "\xC3\xA9"));
		CPPUNIT_ASSERT(matches("{[,]}", ","));           // a class inside a group keeps its comma
	}

	void testClassRanges()
	{
		CPPUNIT_ASSERT(matches("[a-c]", "b"));
		CPPUNIT_ASSERT(!matches("[a-c]", "d"));
		CPPUNIT_ASSERT(matches("[!a-c]x", "dx"));
		CPPUNIT_ASSERT(!matches("[!a-c]x", "bx"));
		CPPUNIT_ASSERT(matches("[a-]", "-"));            // a trailing "-" is a literal
		CPPUNIT_ASSERT(matches("[-a]", "-"));
		CPPUNIT_ASSERT(matches("[a\\-c]", "-"));         // an escaped "-" is no range
		CPPUNIT_ASSERT(!matches("[a\\-c]", "b"));
		CPPUNIT_ASSERT(!matches("[z-a]", "m"));          // an empty range matches nothing
		CPPUNIT_ASSERT(matches("[\xC3\xA0-\xC3\xBF]", "\xC3\xA9"));   // ranges of UTF-8 characters
		CPPUNIT_ASSERT(!matches("[\xC3\xA0-\xC3\xBF]", "a"));
		CPPUNIT_ASSERT(!matches("[a-c]", "\xC3\xA9"));
	}

	void testAlternatives()
	{
		CPPUNIT_ASSERT(matches("*.{go,rs}", "main.rs"));
		CPPUNIT_ASSERT(!matches("*.{go,rs}", "main.py"));
		CPPUNIT_ASSERT(matches("a{,bc}", "a"));
		CPPUNIT_ASSERT(matches("a{,bc}", "abc"));
		CPPUNIT_ASSERT(matches("{a,{b,c}d}e", "cde"));
		CPPUNIT_ASSERT(!matches("{a,{b,c}d}e", "ce"));
		CPPUNIT_ASSERT(matches("{}x", "x"));
		CPPUNIT_ASSERT(matches("x,y}", "x,y}"));          // outside a group: literals
	}

	void testNegation()
	{
		CPPUNIT_ASSERT(matches("!(*.log)", "a.txt"));
		CPPUNIT_ASSERT(!matches("!(*.log)", "a.log"));
		CPPUNIT_ASSERT(matches("a!(b)*", "ac"));
		CPPUNIT_ASSERT(!matches("a!(b)*", "abc"));          // the rest after "!(b)" is negated too
		CPPUNIT_ASSERT(matches("!(!(x))", "x"));
		CPPUNIT_ASSERT(!matches("!(!(x))", "y"));
		CPPUNIT_ASSERT(matches("{!(a*),a}", "a"));
		CPPUNIT_ASSERT(matches("!(a(b)c)", "abd"));         // parentheses inside are literals
		CPPUNIT_ASSERT(!matches("!(a(b)c)", "a(b)c"));
		CPPUNIT_ASSERT(!matches("!()", ""));
	}

	void testDoublestarAndSlashes()
	{
		CPPUNIT_ASSERT(matches("**/*.txt", "a.txt"));
		CPPUNIT_ASSERT(matches("**/**/x", "x"));
		CPPUNIT_ASSERT(matches("{**}/x", "x"));            // the "/" after the group still follows "**"
		CPPUNIT_ASSERT(matches("{,a}**/x", "x"));          // an empty alternative: a segment start
		CPPUNIT_ASSERT(!matches("a**/x", "ax"));           // not at a segment start: "**" is "*"
		CPPUNIT_ASSERT(!matches("src/*.go", "main.go"));
		CPPUNIT_ASSERT(!matches("*/x", "x"));
	}

	void testEscapesAndLiterals()
	{
		CPPUNIT_ASSERT(matches("\\*", "*"));
		CPPUNIT_ASSERT(!matches("\\*", "a"));
		CPPUNIT_ASSERT(matches("a\\!", "a!"));
		CPPUNIT_ASSERT(matches("\\{a,b\\}", "{a,b}"));
		CPPUNIT_ASSERT(matches("(x)", "(x)"));
	}

	void testSyntaxErrors()
	{
		for (const char* bad: {"[", "[]", "[]a]", "[!]", "{a", "a\\", "!a", "!", "!(a", "{!(a}", "{a,[b}"})
		{
			Glob glob(bad);
			CPPUNIT_ASSERT_MESSAGE(bad, glob.status() == Glob::SYNTAX_ERROR);
			CPPUNIT_ASSERT(!glob.match("a"));
			CPPUNIT_ASSERT_EQUAL(std::string("syntax error in pattern"), glob.message());
		}
	}

	void testLengthLimit()
	{
		std::string atLimit(Glob::MAX_PATTERN_BYTES, 'a');
		CPPUNIT_ASSERT(Glob(atLimit).valid());
		CPPUNIT_ASSERT(Glob(atLimit).match(atLimit));
		Glob past(atLimit + "a");
		CPPUNIT_ASSERT(past.status() == Glob::TOO_LONG);
		CPPUNIT_ASSERT(!past.match(atLimit + "a"));
		CPPUNIT_ASSERT(past.message().find("1024") != std::string::npos);
	}

	void testNestingLimit()
	{
		const std::size_t limit = Glob::MAX_NESTING;
		std::string braces = repeated("{", limit) + "x" + repeated("}", limit);
		CPPUNIT_ASSERT(matches(braces, "x"));
		CPPUNIT_ASSERT(Glob("{" + braces + "}").status() == Glob::TOO_DEEP);
		std::string nots = repeated("!(", limit) + "x" + repeated(")", limit);   // 32 negations: even
		CPPUNIT_ASSERT(matches(nots, "x"));
		CPPUNIT_ASSERT(!matches(nots, "y"));
		CPPUNIT_ASSERT(Glob("!(" + nots + ")").status() == Glob::TOO_DEEP);
		// The pattern: 3,000 nested "{" (too long before it is too deep).
		CPPUNIT_ASSERT(Glob(repeated("{", 3000)).status() == Glob::TOO_LONG);
		CPPUNIT_ASSERT(Glob(repeated("{", 500)).status() == Glob::TOO_DEEP);
	}

	void testPatternAndMessages()
	{
		Glob valid("*.txt");
		CPPUNIT_ASSERT_EQUAL(std::string("*.txt"), valid.pattern());
		CPPUNIT_ASSERT_EQUAL(std::string(), valid.message());
		Glob deep(repeated("{", Glob::MAX_NESTING + 1) + repeated("}", Glob::MAX_NESTING + 1));
		CPPUNIT_ASSERT(deep.status() == Glob::TOO_DEEP);
		CPPUNIT_ASSERT(!deep.valid());
		CPPUNIT_ASSERT(deep.message().find("32") != std::string::npos);
		CPPUNIT_ASSERT_EQUAL(repeated("{", Glob::MAX_NESTING + 1) + repeated("}", Glob::MAX_NESTING + 1), deep.pattern());
	}

	void testManyStarsArePolynomial()
	{
		// Backtracking takes about C(200, 8) steps here; the table takes 16 x 201.
		auto start = std::chrono::steady_clock::now();
		Glob glob("*a*a*a*a*a*a*a*b");
		CPPUNIT_ASSERT(!glob.match(std::string(200, 'a')));
		CPPUNIT_ASSERT(glob.match(std::string(200, 'a') + "b"));
		std::string stars = repeated("*a", 500) + "*b";
		CPPUNIT_ASSERT(!Glob(stars).match(std::string(4000, 'a')));
		CPPUNIT_ASSERT(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
	}

	void testNestedNegationsArePolynomial()
	{
		auto start = std::chrono::steady_clock::now();
		std::string pattern = repeated("*!(*", 30) + "b" + repeated(")", 30);
		Glob glob(pattern);
		CPPUNIT_ASSERT(glob.valid());
		glob.match(std::string(250, 'a'));
		std::string alternatives = repeated("{*a,*", 30) + repeated("}", 30) + "b";
		CPPUNIT_ASSERT(Glob(alternatives).valid());
		CPPUNIT_ASSERT(!Glob(alternatives).match(std::string(250, 'a')));
		CPPUNIT_ASSERT(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(GlobTest);
