#include "Multipart.h"
#include "Poco/Exception.h"
#include <cppunit/extensions/HelperMacros.h>
#include <sstream>
#include <string>
#include <vector>


using execd::files::MultipartParser;


namespace {


struct ReadPart
{
	MultipartParser::Part part;
	std::string body;
	std::size_t blocks = 0;
};


std::vector<ReadPart> readAll(const std::string& body, const std::string& boundary = "b")
	/// Every part of body, each read whole.
{
	std::istringstream in(body);
	MultipartParser parser(in, boundary);
	std::vector<ReadPart> parts;
	ReadPart p;
	while (parser.next(p.part))
	{
		parser.read([&p](const char* data, std::size_t size) {
			p.body.append(data, size);
			++p.blocks;
		});
		parts.push_back(p);
		p = ReadPart();
	}
	CPPUNIT_ASSERT(!parser.next(p.part));   // and stays done
	return parts;
}


std::string failure(const std::string& body)
	/// The message of the Poco::DataFormatException that reading body throws; "" if none.
{
	try
	{
		readAll(body);
	}
	catch (Poco::DataFormatException& exc)
	{
		return exc.message();
	}
	return "";
}


std::string part(const std::string& name, const std::string& body)
{
	return "--b\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + body + "\r\n";
}


} // namespace


class MultipartTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(MultipartTest);
	CPPUNIT_TEST(testBoundaryOfContentType);
	CPPUNIT_TEST(testPartsInOrder);
	CPPUNIT_TEST(testHeadersAndDisposition);
	CPPUNIT_TEST(testPreambleAndEpilogueAreIgnored);
	CPPUNIT_TEST(testFirstDelimiterAfterCrlf);
	CPPUNIT_TEST(testEmptyPartsAndEmptyForm);
	CPPUNIT_TEST(testDelimiterLookalikesAreBody);
	CPPUNIT_TEST(testLargePartIsReadInBlocks);
	CPPUNIT_TEST(testUnreadPartIsSkipped);
	CPPUNIT_TEST(testPaddingAfterBoundary);
	CPPUNIT_TEST(testCutOffBodies);
	CPPUNIT_TEST(testMalformedHeaders);
	CPPUNIT_TEST(testHeadersTooLong);
	CPPUNIT_TEST_SUITE_END();

public:
	void testBoundaryOfContentType()
	{
		CPPUNIT_ASSERT_EQUAL(std::string("abc"), MultipartParser::boundaryOf("multipart/form-data; boundary=abc"));
		CPPUNIT_ASSERT_EQUAL(std::string("a b"), MultipartParser::boundaryOf("multipart/form-data; boundary=\"a b\""));
		CPPUNIT_ASSERT_EQUAL(std::string("x"), MultipartParser::boundaryOf("Multipart/Form-Data ; charset=utf-8; boundary=x"));
		CPPUNIT_ASSERT_EQUAL(std::string(), MultipartParser::boundaryOf("multipart/mixed; boundary=x"));
		CPPUNIT_ASSERT_EQUAL(std::string(), MultipartParser::boundaryOf("multipart/form-data"));
		CPPUNIT_ASSERT_EQUAL(std::string(), MultipartParser::boundaryOf(""));
		std::string longest(200, 'x');
		CPPUNIT_ASSERT_EQUAL(longest, MultipartParser::boundaryOf("multipart/form-data; boundary=" + longest));
		CPPUNIT_ASSERT_EQUAL(std::string(), MultipartParser::boundaryOf("multipart/form-data; boundary=" + longest + "x"));
	}

	void testPartsInOrder()
	{
		auto parts = readAll(part("metadata", "{\"path\":\"/tmp/a\"}") + part("file", "hello") + "--b--\r\n");
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), parts.size());
		CPPUNIT_ASSERT_EQUAL(std::string("metadata"), parts[0].part.name);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"path\":\"/tmp/a\"}"), parts[0].body);
		CPPUNIT_ASSERT_EQUAL(std::string("file"), parts[1].part.name);
		CPPUNIT_ASSERT_EQUAL(std::string("hello"), parts[1].body);
	}

	void testHeadersAndDisposition()
	{
		auto parts = readAll(
			"--b\r\nCONTENT-DISPOSITION:   form-data; name=\"file\"; filename=\"a.txt\"  \r\nContent-Type: text/plain\r\n\r\nx\r\n"
			"--b\r\ncontent-disposition: form-data; name=metadata; filename=metadata; filename*=utf-8''metadata\r\n\r\ny\r\n"
			"--b\r\nContent-Disposition: form-data; name=\"plain\"\r\n\r\nz\r\n"
			"--b\r\nX-Other: 1\r\n\r\nw\r\n--b--");
		CPPUNIT_ASSERT_EQUAL(std::size_t(4), parts.size());
		CPPUNIT_ASSERT_EQUAL(std::string("file"), parts[0].part.name);
		CPPUNIT_ASSERT(parts[0].part.hasFilename);
		CPPUNIT_ASSERT_EQUAL(std::string("text/plain"), parts[0].part.headers["content-type"]);
		CPPUNIT_ASSERT_EQUAL(std::string("form-data; name=\"file\"; filename=\"a.txt\""), parts[0].part.headers["content-disposition"]);
		CPPUNIT_ASSERT_EQUAL(std::string("metadata"), parts[1].part.name);   // the C# SDK's unquoted form
		CPPUNIT_ASSERT(parts[1].part.hasFilename);
		CPPUNIT_ASSERT(!parts[2].part.hasFilename);
		CPPUNIT_ASSERT_EQUAL(std::string(), parts[3].part.name);            // no Content-Disposition
		CPPUNIT_ASSERT_EQUAL(std::string("1"), parts[3].part.headers["x-other"]);
		CPPUNIT_ASSERT_EQUAL(std::string("w"), parts[3].body);
	}

	void testPreambleAndEpilogueAreIgnored()
	{
		auto parts = readAll("a preamble\r\n--not-it\r\n" + part("a", "1") + "--b--\r\nan epilogue\r\n--b\r\n");
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), parts.size());
		CPPUNIT_ASSERT_EQUAL(std::string("1"), parts[0].body);
	}

	void testFirstDelimiterAfterCrlf()
	{
		auto parts = readAll("\r\n" + part("a", "1") + "--b--");
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), parts.size());
		CPPUNIT_ASSERT_EQUAL(std::string("1"), parts[0].body);
	}

	void testEmptyPartsAndEmptyForm()
	{
		CPPUNIT_ASSERT(readAll("--b--\r\n").empty());
		CPPUNIT_ASSERT(readAll("--b--").empty());
		auto parts = readAll(part("a", "") + "--b\r\n\r\n\r\n--b--");
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), parts.size());
		CPPUNIT_ASSERT_EQUAL(std::string(), parts[0].body);
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), parts[0].blocks);   // nothing is passed for an empty body
		CPPUNIT_ASSERT(parts[1].part.headers.empty());
		CPPUNIT_ASSERT_EQUAL(std::string(), parts[1].body);
	}

	void testDelimiterLookalikesAreBody()
	{
		// Only CRLF "--" and the boundary end a part; the body begins after the CRLF CRLF of the headers.
		const std::string body = "--b at the start\n--b after LF\r\n-b\r\n--c\r\n--";
		auto parts = readAll(part("a", body) + "--b--");
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), parts.size());
		CPPUNIT_ASSERT_EQUAL(body, parts[0].body);
	}

	void testLargePartIsReadInBlocks()
	{
		std::string big;
		for (std::size_t i = 0; big.size() < 1024 * 1024 + 7; ++i) big += static_cast<char>('a' + i % 26);
		big += "\r\n--";   // a delimiter's start just before the real one
		auto parts = readAll(part("file", big) + part("after", "x") + "--b--");
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), parts.size());
		CPPUNIT_ASSERT(parts[0].body == big);
		CPPUNIT_ASSERT(parts[0].blocks > 1);
		CPPUNIT_ASSERT_EQUAL(std::string("x"), parts[1].body);
	}

	void testUnreadPartIsSkipped()
	{
		std::istringstream in(part("skipped", std::string(300 * 1024, 'z')) + part("read", "yes") + "--b--");
		MultipartParser parser(in, "b");
		MultipartParser::Part p;
		CPPUNIT_ASSERT(parser.next(p));
		CPPUNIT_ASSERT_EQUAL(std::string("skipped"), p.name);
		CPPUNIT_ASSERT(parser.next(p));
		CPPUNIT_ASSERT_EQUAL(std::string("read"), p.name);
		std::string body;
		parser.read([&body](const char* data, std::size_t size) { body.append(data, size); });
		CPPUNIT_ASSERT_EQUAL(std::string("yes"), body);
		parser.read([&body](const char* data, std::size_t size) { body.append(data, size); });   // nothing more
		CPPUNIT_ASSERT_EQUAL(std::string("yes"), body);
		CPPUNIT_ASSERT(!parser.next(p));
	}

	void testPaddingAfterBoundary()
	{
		auto parts = readAll("--b \t\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--b--");
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), parts.size());
		CPPUNIT_ASSERT_EQUAL(std::string("a"), parts[0].part.name);
		CPPUNIT_ASSERT_EQUAL(std::string("malformed multipart boundary line"),
			failure("--bX\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--b--"));
	}

	void testCutOffBodies()
	{
		CPPUNIT_ASSERT_EQUAL(std::string("multipart body ends before its first boundary"), failure(""));
		CPPUNIT_ASSERT_EQUAL(std::string("multipart body ends before its first boundary"), failure("no boundary here"));
		CPPUNIT_ASSERT_EQUAL(std::string("multipart body ends after a boundary"), failure("--b"));
		CPPUNIT_ASSERT_EQUAL(std::string("multipart body ends after a boundary"), failure(part("a", "1") + "--b"));
		CPPUNIT_ASSERT_EQUAL(std::string("multipart body ends in part headers"), failure("--b\r\nContent-Disposition: form"));
		CPPUNIT_ASSERT_EQUAL(std::string("multipart body ends inside a part"), failure("--b\r\nX: 1\r\n\r\nthe body goes on"));
		CPPUNIT_ASSERT_EQUAL(std::string("multipart body ends inside a part"), failure(part("a", "1")));
		CPPUNIT_ASSERT_EQUAL(std::string("multipart body ends inside a part"), failure(part("a", "1") + "--c--"));
	}

	void testMalformedHeaders()
	{
		CPPUNIT_ASSERT_EQUAL(std::string("malformed multipart part header"), failure("--b\r\nno colon\r\n\r\n1\r\n--b--"));
		CPPUNIT_ASSERT_EQUAL(std::string(), failure("--b\r\n: empty name\r\n\r\n1\r\n--b--"));
	}

	void testHeadersTooLong()
	{
		// The limit applies to headers whose end has not been read: 16 KiB of them.
		std::string unfinished = "X-Long: " + std::string(17 * 1024, 'h');
		CPPUNIT_ASSERT_EQUAL(std::string("multipart part headers are too long"), failure("--b\r\n" + unfinished));
		std::string huge = "X-Long: " + std::string(400 * 1024, 'h');
		CPPUNIT_ASSERT_EQUAL(std::string("multipart part headers are too long"), failure("--b\r\n" + huge + "\r\n\r\n1\r\n--b--"));
		std::string shorter = "X-Long: " + std::string(15 * 1024, 'h');
		auto parts = readAll("--b\r\n" + shorter + "\r\n\r\n1\r\n--b--");
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), parts.size());
		CPPUNIT_ASSERT_EQUAL(std::string("1"), parts[0].body);
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(MultipartTest);
