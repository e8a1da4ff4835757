#include "ByteRange.h"
#include <cppunit/extensions/HelperMacros.h>
#include <string>


using execd::files::ByteRange;
using execd::files::RangeResult;
using execd::files::parseRange;


namespace {


bool usable(const std::string& header, long long size, long long start, long long length)
	/// parseRange() serves exactly [start, start + length) of a file of size bytes.
{
	ByteRange range;
	if (parseRange(header, size, range) != RangeResult::USABLE) return false;
	return range.start == start && range.length == length;
}


RangeResult result(const std::string& header, long long size)
{
	ByteRange range;
	return parseRange(header, size, range);
}


} // namespace


class ByteRangeTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(ByteRangeTest);
	CPPUNIT_TEST(testSingleRange);
	CPPUNIT_TEST(testEndPastTheFileIsClamped);
	CPPUNIT_TEST(testSuffixRange);
	CPPUNIT_TEST(testOpenEndedRange);
	CPPUNIT_TEST(testRangeOutsideTheFileDoesNotOverlap);
	CPPUNIT_TEST(testEmptyFile);
	CPPUNIT_TEST(testFirstUsableOfSeveralIsServed);
	CPPUNIT_TEST(testWhitespaceAndEmptySpecsAreSkipped);
	CPPUNIT_TEST(testJunkIsInvalid);
	CPPUNIT_TEST(testJunkAfterAUsableSpecIsInvalid);
	CPPUNIT_TEST_SUITE_END();

public:
	void testSingleRange()
	{
		CPPUNIT_ASSERT(usable("bytes=0-9", 100, 0, 10));
		CPPUNIT_ASSERT(usable("bytes=10-10", 100, 10, 1));
		CPPUNIT_ASSERT(usable("bytes=0-99", 100, 0, 100));
	}

	void testEndPastTheFileIsClamped()
	{
		CPPUNIT_ASSERT(usable("bytes=90-200", 100, 90, 10));
		CPPUNIT_ASSERT(usable("bytes=0-999999999999999999", 100, 0, 100));
	}

	void testSuffixRange()
	{
		CPPUNIT_ASSERT(usable("bytes=-10", 100, 90, 10));
		CPPUNIT_ASSERT(usable("bytes=-100", 100, 0, 100));
		CPPUNIT_ASSERT(usable("bytes=-200", 100, 0, 100));    // longer than the file: all of it
		CPPUNIT_ASSERT(result("bytes=-0", 100) == RangeResult::NO_OVERLAP);
	}

	void testOpenEndedRange()
	{
		CPPUNIT_ASSERT(usable("bytes=50-", 100, 50, 50));
		CPPUNIT_ASSERT(usable("bytes=0-", 100, 0, 100));
		CPPUNIT_ASSERT(usable("bytes=99-", 100, 99, 1));
	}

	void testRangeOutsideTheFileDoesNotOverlap()
	{
		CPPUNIT_ASSERT(result("bytes=100-", 100) == RangeResult::NO_OVERLAP);
		CPPUNIT_ASSERT(result("bytes=100-200", 100) == RangeResult::NO_OVERLAP);
		CPPUNIT_ASSERT(result("bytes=500-600,200-", 100) == RangeResult::NO_OVERLAP);
	}

	void testEmptyFile()
	{
		CPPUNIT_ASSERT(result("bytes=0-", 0) == RangeResult::NO_OVERLAP);
		CPPUNIT_ASSERT(result("bytes=0-0", 0) == RangeResult::NO_OVERLAP);
		CPPUNIT_ASSERT(result("bytes=-5", 0) == RangeResult::NO_OVERLAP);
	}

	void testFirstUsableOfSeveralIsServed()
	{
		CPPUNIT_ASSERT(usable("bytes=0-0,5-9", 100, 0, 1));
		CPPUNIT_ASSERT(usable("bytes=200-300,0-1", 100, 0, 2));    // the first does not overlap
		CPPUNIT_ASSERT(usable("bytes=-0,-3", 100, 97, 3));
		CPPUNIT_ASSERT(usable("bytes=5-9,0-0", 100, 5, 5));         // order kept, not sorted
	}

	void testWhitespaceAndEmptySpecsAreSkipped()
	{
		CPPUNIT_ASSERT(usable("bytes= 1 - 2 ", 100, 1, 2));
		CPPUNIT_ASSERT(usable("bytes=,, 3-4 ,", 100, 3, 2));
		CPPUNIT_ASSERT(result("bytes=", 100) == RangeResult::NO_OVERLAP);
		CPPUNIT_ASSERT(result("bytes=,", 100) == RangeResult::NO_OVERLAP);
	}

	void testJunkIsInvalid()
	{
		for (const char* bad: {"", "bytes", "items=0-1", "Bytes=0-1", " bytes=0-1", "bytes=1", "bytes=a-b", "bytes=1-a",
			"bytes=-", "bytes=+1-2", "bytes=1--2", "bytes=5-3", "bytes=-x", "bytes=0x1-2", "bytes=1234567890123456789-"})
			CPPUNIT_ASSERT_MESSAGE(bad, result(bad, 100) == RangeResult::INVALID);
	}

	void testJunkAfterAUsableSpecIsInvalid()
	{
		// The whole header is parsed before anything is served.
		CPPUNIT_ASSERT(result("bytes=0-1,junk", 100) == RangeResult::INVALID);
		CPPUNIT_ASSERT(result("bytes=0-1,3-2", 100) == RangeResult::INVALID);
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(ByteRangeTest);
