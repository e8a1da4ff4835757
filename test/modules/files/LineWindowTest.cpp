#include "LineWindow.h"
#include <cppunit/extensions/HelperMacros.h>
#include <optional>
#include <string>
#include <vector>


using execd::files::LineWindow;


namespace {


std::string reference(const std::string& file, long long offset, std::optional<long long> limit)
	/// Upstream's loop, on a whole string: bufio.ReadBytes('\n'), then
	/// bytes.TrimRight(line, "\r\n"), joined with '\n'.
{
	std::string out;
	long long line = 0;
	long long written = 0;
	std::size_t pos = 0;
	while (pos < file.size())
	{
		std::size_t newline = file.find('\n', pos);
		std::size_t end = newline == std::string::npos ? file.size() : newline + 1;
		std::string text = file.substr(pos, end - pos);
		pos = end;
		while (!text.empty() && (text.back() == '\r' || text.back() == '\n')) text.pop_back();
		if (++line < offset) continue;
		if (written > 0) out += '\n';
		out += text;
		++written;
		if (limit && written >= *limit) break;
	}
	return out;
}


std::string window(const std::string& file, long long offset, std::optional<long long> limit, std::size_t piece)
	/// LineWindow fed in pieces of the given size; checks that it takes everything
	/// until it is done.
{
	std::string out;
	LineWindow w(offset, limit, [&out](const char* data, std::size_t size) { out.append(data, size); });
	std::size_t pos = 0;
	while (pos < file.size() && !w.done())
	{
		std::size_t n = std::min(piece, file.size() - pos);
		std::size_t taken = w.feed(file.data() + pos, n);
		CPPUNIT_ASSERT(taken == n || w.done());
		pos += taken;
	}
	if (!w.done()) w.finish();
	return out;
}


} // namespace


class LineWindowTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(LineWindowTest);
	CPPUNIT_TEST(testContractExamples);
	CPPUNIT_TEST(testLineEndings);
	CPPUNIT_TEST(testEveryPieceSizeAgreesWithUpstream);
	CPPUNIT_TEST(testStopsAtTheLimit);
	CPPUNIT_TEST(testLongRunOfReturnsIsCounted);
	CPPUNIT_TEST(testParseBound);
	CPPUNIT_TEST_SUITE_END();

public:
	void testContractExamples()
	{
		const std::string file = "line1\nline2\nline3";
		CPPUNIT_ASSERT_EQUAL(std::string("line2\nline3"), window(file, 2, 2, 4096));
		CPPUNIT_ASSERT_EQUAL(std::string(""), window(file, 100, std::nullopt, 4096));
		CPPUNIT_ASSERT_EQUAL(std::string("line1\nline2"), window(file, 1, 2, 4096));
		CPPUNIT_ASSERT_EQUAL(std::string("line3"), window(file, 3, std::nullopt, 4096));
		CPPUNIT_ASSERT_EQUAL(std::string(""), window("", 1, std::nullopt, 4096));
	}

	void testLineEndings()
	{
		CPPUNIT_ASSERT_EQUAL(std::string("ab"), window("ab\r\r\n", 1, std::nullopt, 4096));
		CPPUNIT_ASSERT_EQUAL(std::string("a\nb\nc"), window("a\r\nb\r\nc\r", 1, std::nullopt, 4096));
		CPPUNIT_ASSERT_EQUAL(std::string("a\nb"), window("a\nb\n", 1, std::nullopt, 4096));   // no empty line after the last \n
		CPPUNIT_ASSERT_EQUAL(std::string("x\n\n\ny"), window("x\n\n\ny\n", 1, std::nullopt, 4096));   // empty lines stay
		CPPUNIT_ASSERT_EQUAL(std::string("a\rb"), window("a\rb\r\n", 1, std::nullopt, 4096));   // only trailing \r go
		CPPUNIT_ASSERT_EQUAL(std::string("\n"), window("\r\n\r\r\n", 1, std::nullopt, 1));
		CPPUNIT_ASSERT_EQUAL(std::string("a\n"), window("a\n\r", 1, std::nullopt, 4096));   // a last line of \r only is empty
		CPPUNIT_ASSERT_EQUAL(std::string("\0\xff", 2), window(std::string("\0\xff\n", 3), 1, std::nullopt, 4096));
	}

	void testEveryPieceSizeAgreesWithUpstream()
	{
		const std::vector<std::string> files{"", "\n", "\n\n", "a", "a\n", "a\r", "\r", "\r\r\n\r", "one\ntwo\r\nthree\r\r\n\nfive",
			"x\r\ry\r\r\nz\r", std::string("nul\0byte\n\n\r\n", 13), "trailing\n\n"};
		for (const std::string& file: files)
			for (long long offset = 1; offset <= 7; ++offset)
				for (std::optional<long long> limit: {std::optional<long long>(), std::optional<long long>(1), std::optional<long long>(2), std::optional<long long>(5)})
					for (std::size_t piece = 1; piece <= file.size() + 1; ++piece)
						CPPUNIT_ASSERT_EQUAL_MESSAGE("[" + file + "] offset " + std::to_string(offset) + " piece " + std::to_string(piece),
							reference(file, offset, limit), window(file, offset, limit, piece));
	}

	void testStopsAtTheLimit()
	{
		std::string out;
		LineWindow w(2, 1, [&out](const char* data, std::size_t size) { out.append(data, size); });
		const std::string file = "a\nb\nc\nd\n";
		std::size_t taken = w.feed(file.data(), file.size());
		CPPUNIT_ASSERT(w.done());
		CPPUNIT_ASSERT_EQUAL(std::size_t(4), taken);   // "a\nb\n": nothing after the window is looked at
		CPPUNIT_ASSERT_EQUAL(std::string("b"), out);
	}

	void testLongRunOfReturnsIsCounted()
	{
		// 100,000 '\r' then a byte: all of them belong to the line; before a
		// newline, none. Fed in pieces, nothing of the run is stored.
		std::string run(100000, '\r');
		CPPUNIT_ASSERT(window("a" + run + "b\nc", 1, std::nullopt, 4096) == "a" + run + "b\nc");
		CPPUNIT_ASSERT_EQUAL(std::string("a\nc"), window("a" + run + "\nc", 1, std::nullopt, 4096));
	}

	void testParseBound()
	{
		CPPUNIT_ASSERT_EQUAL(3LL, *LineWindow::parseBound("3"));
		CPPUNIT_ASSERT_EQUAL(3LL, *LineWindow::parseBound("+3"));
		CPPUNIT_ASSERT_EQUAL(3LL, *LineWindow::parseBound("003"));
		CPPUNIT_ASSERT_EQUAL(9223372036854775807LL, *LineWindow::parseBound("9223372036854775807"));
		for (const char* bad: {"", "0", "-1", "-0", "+", "-", "abc", "1.5", " 3", "3 ", "0x10", "1e3", "9223372036854775808", "++3", "1_000"})
			CPPUNIT_ASSERT_MESSAGE(bad, !LineWindow::parseBound(bad));
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(LineWindowTest);
