#include "execd/OutputSplitter.h"
#include <cppunit/extensions/HelperMacros.h>


using execd::OutputSplitter;


namespace {


std::vector<std::string> split(const std::vector<std::string>& reads, std::size_t maxPiece = 64 * 1024)
{
	OutputSplitter splitter(maxPiece);
	std::vector<std::string> out;
	for (const std::string& r: reads) splitter.feed(r.data(), r.size(), out);
	splitter.finish(out);
	return out;
}


} // namespace


class OutputSplitterTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(OutputSplitterTest);
	CPPUNIT_TEST(testLinesAndBlankLines);
	CPPUNIT_TEST(testCarriageReturns);
	CPPUNIT_TEST(testCrLfSplitAcrossReads);
	CPPUNIT_TEST(testTrailingFragmentIsFlushed);
	CPPUNIT_TEST(testLineAcrossReads);
	CPPUNIT_TEST(testLongLineIsCutWithoutSplittingUtf8);
	CPPUNIT_TEST(testUtf8OneByteAtATime);
	CPPUNIT_TEST_SUITE_END();

public:
	void testLinesAndBlankLines()
	{
		std::vector<std::string> want{"a", "\n", "b", "\n", "\n", "c"};
		CPPUNIT_ASSERT(want == split({"a\n\nb\n\n\nc\n"}));
	}

	void testCarriageReturns()
	{
		std::vector<std::string> want{"10%", "20%", "done"};
		CPPUNIT_ASSERT(want == split({"10%\r20%\rdone\n"}));
		std::vector<std::string> crlf{"x", "y"};
		CPPUNIT_ASSERT(crlf == split({"x\r\ny\r\n"}));
	}

	void testCrLfSplitAcrossReads()
	{
		std::vector<std::string> want{"x", "y"};
		CPPUNIT_ASSERT(want == split({"x\r", "\ny\r", "\n"}));
	}

	void testTrailingFragmentIsFlushed()
	{
		std::vector<std::string> want{"a", "tail"};
		CPPUNIT_ASSERT(want == split({"a\ntail"}));
		CPPUNIT_ASSERT(split({""}).empty());
	}

	void testLineAcrossReads()
	{
		std::vector<std::string> want{"hello world"};
		CPPUNIT_ASSERT(want == split({"hel", "lo ", "world\n"}));
	}

	void testLongLineIsCutWithoutSplittingUtf8()
	{
		// 'é' is two bytes; with an odd limit a naive cut would split one.
		std::string line;
		for (int i = 0; i < 1000; ++i) line += "\xC3\xA9";
		std::vector<std::string> pieces = split({line}, 101);
		std::string joined;
		for (const std::string& p: pieces)
		{
			CPPUNIT_ASSERT(p.size() <= 101);
			CPPUNIT_ASSERT(p.size() % 2 == 0);
			joined += p;
		}
		CPPUNIT_ASSERT(joined == line);
		std::vector<std::string> big = split({std::string(200000, 'x')});
		CPPUNIT_ASSERT_EQUAL(std::size_t(4), big.size());
		CPPUNIT_ASSERT_EQUAL(std::size_t(65536), big[0].size());
	}

	void testUtf8OneByteAtATime()
	{
		std::string text = "\xE6\x8A\xA5\xE5\x91\x8A ok\n";
		std::vector<std::string> reads;
		for (char c: text) reads.emplace_back(1, c);
		std::vector<std::string> want{"\xE6\x8A\xA5\xE5\x91\x8A ok"};
		CPPUNIT_ASSERT(want == split(reads));
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(OutputSplitterTest);
