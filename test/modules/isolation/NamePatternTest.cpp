#include "NamePattern.h"
#include <cppunit/extensions/HelperMacros.h>
#include <string>


using execd::isolation::NamePattern;


class NamePatternTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(NamePatternTest);
	CPPUNIT_TEST(testGoMatch);
	CPPUNIT_TEST(testBadPatterns);
	CPPUNIT_TEST(testNoBacktracking);
	CPPUNIT_TEST_SUITE_END();

public:
	void testGoMatch()
	{
		// Cases of Go's filepath.Match tests that apply to a base name.
		struct Case { const char* pattern; const char* name; bool match; } cases[] = {
			{"abc", "abc", true}, {"*", "abc", true}, {"*c", "abc", true}, {"a*", "a", true}, {"a*", "abc", true},
			{"a*/b", "abc/b", true}, {"a*b*c*d*e*", "axbxcxdxe", true}, {"ab[c]", "abc", true}, {"ab[b-d]", "abc", true},
			{"ab[e-g]", "abc", false}, {"ab[^c]", "abc", false}, {"ab[^b-d]", "abc", false}, {"ab[^e-g]", "abc", true},
			{"a\\*b", "a*b", true}, {"a\\*b", "ab", false}, {"a?b", "a\xe2\x98\xba" "b", true}, {"a[^a]b", "a\xe2\x98\xba" "b", true},
			{"a???b", "a\xe2\x98\xba" "b", false}, {"[a-\xce\xb6]*", "\xce\xb1", true}, {"*[a-\xce\xb6]", "A", false},
			{"a?b", "a/b", false}, {"a*b", "a/b", false}, {"[\\]a]", "]", true}, {"[\\-]", "-", true}, {"[x\\-]", "z", false},
			{"[!a]", "!", true}, {"**", "anything.txt", true}, {"*.txt", "a.txt", true}, {"*.txt", "a.txt.bak", false},
			{"{a,b}", "a", false}, {"{a,b}", "{a,b}", true}, {"", "", true}, {"", "a", false}, {"a?", "a", false},
		};
		for (const Case& c: cases)
		{
			NamePattern pattern(c.pattern);
			CPPUNIT_ASSERT_MESSAGE(c.pattern, pattern.valid());
			CPPUNIT_ASSERT_EQUAL_MESSAGE(std::string(c.pattern) + " ~ " + c.name, c.match, pattern.match(c.name));
		}
	}

	void testBadPatterns()
	{
		for (const char* bad: {"[", "[^", "[^bc", "a[", "[]a]", "[-]", "[x-]", "[-x]", "\\", "[a-b-c]", "[z-a]", "a\\"})
		{
			NamePattern pattern(bad);
			CPPUNIT_ASSERT_MESSAGE(bad, !pattern.valid());
			CPPUNIT_ASSERT(!pattern.match("a"));
		}
		CPPUNIT_ASSERT(!NamePattern(std::string(NamePattern::MAX_PATTERN_BYTES + 1, 'a')).valid());
	}

	void testNoBacktracking()
	{
		// Exponential for a backtracking matcher; linear here.
		NamePattern pattern(std::string(500, '*') + "a*a*a*a*a*a*a*a*a*b");
		CPPUNIT_ASSERT(pattern.valid());
		CPPUNIT_ASSERT(!pattern.match(std::string(255, 'a')));
		CPPUNIT_ASSERT(pattern.match(std::string(254, 'a') + "b"));
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(NamePatternTest);
