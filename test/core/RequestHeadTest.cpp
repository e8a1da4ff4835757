#include "http/RequestHead.h"
#include "execd/ApiException.h"
#include "Poco/Net/HTTPRequest.h"
#include <cppunit/extensions/HelperMacros.h>
#include <sstream>


using execd::RequestHead;


namespace {


std::size_t endOf(const std::string& bytes, std::size_t from = 0)
{
	return RequestHead::findEnd(bytes.data(), bytes.size(), from);
}


int statusOf(const std::string& head)
{
	Poco::Net::HTTPRequest request;
	std::istringstream in(head);
	try
	{
		request.read(in);
	}
	catch (Poco::Exception&)
	{
		return 400;   // what the connection answers to a head POCO cannot parse
	}
	try
	{
		RequestHead::validate(request);
	}
	catch (execd::ApiException& exc)
	{
		return exc.status();
	}
	return 200;
}


} // namespace


class RequestHeadTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(RequestHeadTest);
	CPPUNIT_TEST(testEndOfHead);
	CPPUNIT_TEST(testEndFoundAcrossCalls);
	CPPUNIT_TEST(testLeadingEmptyLinesAreSkipped);
	CPPUNIT_TEST(testVersions);
	CPPUNIT_TEST(testContentLength);
	CPPUNIT_TEST(testTransferEncoding);
	CPPUNIT_TEST_SUITE_END();

public:
	void testEndOfHead()
	{
		std::string head = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
		CPPUNIT_ASSERT_EQUAL(head.size(), endOf(head));
		CPPUNIT_ASSERT_EQUAL(head.size(), endOf(head + "body"));
		CPPUNIT_ASSERT_EQUAL(RequestHead::NPOS, endOf("GET / HTTP/1.1\r\nHost: x\r\n"));
		CPPUNIT_ASSERT_EQUAL(RequestHead::NPOS, endOf("GET / HTTP/1.1\r\nHost: x\r\n\r"));
		CPPUNIT_ASSERT_EQUAL(std::size_t(24), endOf("GET / HTTP/1.1\nHost: x\n\n"));   // bare LF, as POCO reads it
		CPPUNIT_ASSERT_EQUAL(RequestHead::NPOS, endOf(""));
	}

	void testEndFoundAcrossCalls()
	{
		// Bytes arriving one at a time: each call scans only what is new, and the
		// terminator is found whichever byte completes it.
		std::string head = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
		std::size_t scanned = 0;
		for (std::size_t n = 1; n <= head.size(); ++n)
		{
			std::size_t end = RequestHead::findEnd(head.data(), n, scanned);
			CPPUNIT_ASSERT_EQUAL(n == head.size() ? head.size() : RequestHead::NPOS, end);
			scanned = n;
		}
	}

	void testLeadingEmptyLinesAreSkipped()
	{
		CPPUNIT_ASSERT_EQUAL(RequestHead::NPOS, endOf("\r\n\r\n\r\n"));
		std::string head = "\r\n\r\nGET / HTTP/1.1\r\n\r\n";
		CPPUNIT_ASSERT_EQUAL(head.size(), endOf(head));
	}

	void testVersions()
	{
		CPPUNIT_ASSERT_EQUAL(200, statusOf("GET / HTTP/1.1\r\n\r\n"));
		CPPUNIT_ASSERT_EQUAL(200, statusOf("GET / HTTP/1.0\r\n\r\n"));
		CPPUNIT_ASSERT_EQUAL(505, statusOf("GET / HTTP/9.9\r\n\r\n"));
		CPPUNIT_ASSERT_EQUAL(505, statusOf("GET / HTTP/2.0\r\n\r\n"));
		CPPUNIT_ASSERT_EQUAL(400, statusOf("GET / HTTP/1.11\r\n\r\n"));
		CPPUNIT_ASSERT_EQUAL(400, statusOf("GET / http/1.1\r\n\r\n"));
		CPPUNIT_ASSERT_EQUAL(400, statusOf("GET / FOO\r\n\r\n"));
	}

	void testContentLength()
	{
		CPPUNIT_ASSERT_EQUAL(200, statusOf("POST / HTTP/1.1\r\nContent-Length: 18\r\n\r\n"));
		CPPUNIT_ASSERT_EQUAL(200, statusOf("POST / HTTP/1.1\r\nContent-Length: 18\r\nContent-Length: 18\r\n\r\n"));
		CPPUNIT_ASSERT_EQUAL(200, statusOf("POST / HTTP/1.1\r\nContent-Length: 18, 18\r\n\r\n"));
		CPPUNIT_ASSERT_EQUAL(200, statusOf("POST / HTTP/1.1\r\nContent-Length: 018\r\nContent-Length: 18\r\n\r\n"));
		CPPUNIT_ASSERT_EQUAL(200, statusOf("POST / HTTP/1.1\r\nContent-Length: 999999999999999999\r\n\r\n"));
		CPPUNIT_ASSERT_EQUAL(400, statusOf("POST / HTTP/1.1\r\nContent-Length: 1000000000000000000\r\n\r\n"));
		CPPUNIT_ASSERT_EQUAL(400, statusOf("POST / HTTP/1.1\r\nContent-Length: +18\r\n\r\n"));
		CPPUNIT_ASSERT_EQUAL(400, statusOf("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"));
		CPPUNIT_ASSERT_EQUAL(400, statusOf("POST / HTTP/1.1\r\nContent-Length: 0x12\r\n\r\n"));
		CPPUNIT_ASSERT_EQUAL(400, statusOf("POST / HTTP/1.1\r\nContent-Length: 1 8\r\n\r\n"));
		CPPUNIT_ASSERT_EQUAL(400, statusOf("POST / HTTP/1.1\r\nContent-Length: \r\n\r\n"));
		CPPUNIT_ASSERT_EQUAL(400, statusOf("POST / HTTP/1.1\r\nContent-Length: 18\r\nContent-Length: 19\r\n\r\n"));
		CPPUNIT_ASSERT_EQUAL(400, statusOf("POST / HTTP/1.1\r\nContent-Length: 18,\r\n\r\n"));
	}

	void testTransferEncoding()
	{
		CPPUNIT_ASSERT_EQUAL(200, statusOf("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"));
		CPPUNIT_ASSERT_EQUAL(200, statusOf("POST / HTTP/1.1\r\nTransfer-Encoding: CHUNKED\r\n\r\n"));
		CPPUNIT_ASSERT_EQUAL(400, statusOf("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"));
		CPPUNIT_ASSERT_EQUAL(501, statusOf("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"));
		CPPUNIT_ASSERT_EQUAL(501, statusOf("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"));
		CPPUNIT_ASSERT_EQUAL(400, statusOf("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"));
		CPPUNIT_ASSERT_EQUAL(400, statusOf("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n"));
		CPPUNIT_ASSERT_EQUAL(400, statusOf("POST / HTTP/1.1\r\nTransfer-Encoding: \r\n\r\n"));
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(RequestHeadTest);
