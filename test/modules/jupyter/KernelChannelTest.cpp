#include "KernelChannel.h"
#include "Poco/Exception.h"
#include "Poco/JSON/Parser.h"
#include <cppunit/extensions/HelperMacros.h>
#include <cstdint>
#include <string>
#include <vector>


using execd::jupyter::KernelChannel;


namespace {


std::uint64_t word(const std::string& frame, std::size_t at)
	/// The 64-bit little-endian number at byte at.
{
	std::uint64_t v = 0;
	for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(frame[at + static_cast<std::size_t>(i)]);
	return v;
}


void putWord(std::string& frame, std::size_t at, std::uint64_t v)
{
	for (int i = 0; i < 8; ++i) frame[at + static_cast<std::size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xFF);
}


Poco::JSON::Object::Ptr parse(const std::string& text)
{
	return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
}


Poco::JSON::Object::Ptr content(const std::string& key, const std::string& value)
{
	Poco::JSON::Object::Ptr object = new Poco::JSON::Object;
	object->set(key, value);
	return object;
}


} // namespace


class KernelChannelTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(KernelChannelTest);
	CPPUNIT_TEST(testV1FrameLaysOutOffsetsChannelAndParts);
	CPPUNIT_TEST(testV1FrameDecodesToTheObjectOfATextFrame);
	CPPUNIT_TEST(testV1FrameWithoutContentHasNoContent);
	CPPUNIT_TEST(testTruncatedV1FrameIsRejected);
	CPPUNIT_TEST(testV1FrameWithTooManyOffsetsIsRejected);
	CPPUNIT_TEST(testV1FrameWithDecreasingOffsetsIsRejected);
	CPPUNIT_TEST(testV1FrameWithOffsetPastTheEndIsRejected);
	CPPUNIT_TEST(testHeaderNamesSessionTypeAndVersion);
	CPPUNIT_TEST(testTextFrameHasEmptyParentMetadataAndBuffers);
	CPPUNIT_TEST(testBinaryFrameCarriesHeaderEmptyPartsAndContent);
	CPPUNIT_TEST(testDecodeReadsTextAsJson);
	CPPUNIT_TEST(testUserCodeStopsOnErrorAndIsStored);
	CPPUNIT_TEST(testOwnCodeNeitherStopsNorIsStored);
	CPPUNIT_TEST(testMessageIdsCountUpWithinTheSession);
	CPPUNIT_TEST(testNewChannelIsClosed);
	CPPUNIT_TEST_SUITE_END();

public:
	void testV1FrameLaysOutOffsetsChannelAndParts()
	{
		std::string frame = KernelChannel::encodeV1("shell", {"{}", "abc"});
		// 4 offsets: channel, 2 parts, end; the count and offsets take 5 words.
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(4), word(frame, 0));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(40), word(frame, 8));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(45), word(frame, 16));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(47), word(frame, 24));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(50), word(frame, 32));
		CPPUNIT_ASSERT_EQUAL(std::string("shell{}abc"), frame.substr(40));
		CPPUNIT_ASSERT_EQUAL(std::size_t(50), frame.size());
	}

	void testV1FrameDecodesToTheObjectOfATextFrame()
	{
		std::string frame = KernelChannel::encodeV1("iopub",
			{"{\"msg_type\":\"stream\"}", "{\"msg_id\":\"p-1\"}", "{}", "{\"text\":\"hi\"}"});
		Poco::JSON::Object::Ptr message = KernelChannel::decodeV1(frame);
		CPPUNIT_ASSERT_EQUAL(std::string("iopub"), message->getValue<std::string>("channel"));
		CPPUNIT_ASSERT_EQUAL(std::string("stream"), message->getObject("header")->getValue<std::string>("msg_type"));
		CPPUNIT_ASSERT_EQUAL(std::string("p-1"), message->getObject("parent_header")->getValue<std::string>("msg_id"));
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), message->getObject("metadata")->size());
		CPPUNIT_ASSERT_EQUAL(std::string("hi"), message->getObject("content")->getValue<std::string>("text"));
	}

	void testV1FrameWithoutContentHasNoContent()
	{
		Poco::JSON::Object::Ptr message = KernelChannel::decodeV1(KernelChannel::encodeV1("shell", {"{}"}));
		CPPUNIT_ASSERT(message->has("header"));
		CPPUNIT_ASSERT(!message->has("parent_header"));
		CPPUNIT_ASSERT(!message->has("content"));
	}

	void testTruncatedV1FrameIsRejected()
	{
		std::string frame = KernelChannel::encodeV1("shell", {"{}", "{}", "{}", "{}"});
		CPPUNIT_ASSERT_THROW(KernelChannel::decodeV1(frame.substr(0, 20)), Poco::DataFormatException);
		CPPUNIT_ASSERT_THROW(KernelChannel::decodeV1(""), Poco::DataFormatException);
	}

	void testV1FrameWithTooManyOffsetsIsRejected()
	{
		std::string frame = KernelChannel::encodeV1("shell", {"{}"});
		putWord(frame, 0, 65);
		CPPUNIT_ASSERT_THROW(KernelChannel::decodeV1(frame), Poco::DataFormatException);
		putWord(frame, 0, 1);
		CPPUNIT_ASSERT_THROW(KernelChannel::decodeV1(frame), Poco::DataFormatException);
	}

	void testV1FrameWithDecreasingOffsetsIsRejected()
	{
		std::string frame = KernelChannel::encodeV1("shell", {"{}", "{}"});
		putWord(frame, 16, 3);   // the first part would start before the channel
		CPPUNIT_ASSERT_THROW(KernelChannel::decodeV1(frame), Poco::DataFormatException);
	}

	void testV1FrameWithOffsetPastTheEndIsRejected()
	{
		std::string frame = KernelChannel::encodeV1("shell", {"{}", "{}"});
		putWord(frame, 32, frame.size() + 1);
		CPPUNIT_ASSERT_THROW(KernelChannel::decodeV1(frame), Poco::DataFormatException);
	}

	void testHeaderNamesSessionTypeAndVersion()
	{
		Poco::JSON::Object::Ptr header = KernelChannel::header("s", "kernel_info_request", "s-7");
		CPPUNIT_ASSERT_EQUAL(std::string("s-7"), header->getValue<std::string>("msg_id"));
		CPPUNIT_ASSERT_EQUAL(std::string("s"), header->getValue<std::string>("session"));
		CPPUNIT_ASSERT_EQUAL(std::string("execd"), header->getValue<std::string>("username"));
		CPPUNIT_ASSERT_EQUAL(std::string("kernel_info_request"), header->getValue<std::string>("msg_type"));
		CPPUNIT_ASSERT_EQUAL(std::string("5.3"), header->getValue<std::string>("version"));
		std::string date = header->getValue<std::string>("date");
		CPPUNIT_ASSERT_EQUAL(std::size_t(24), date.size());   // 2024-01-02T03:04:05.678Z
		CPPUNIT_ASSERT_EQUAL('T', date[10]);
		CPPUNIT_ASSERT_EQUAL('Z', date.back());
	}

	void testTextFrameHasEmptyParentMetadataAndBuffers()
	{
		auto header = KernelChannel::header("s", "execute_request", "s-1");
		Poco::JSON::Object::Ptr message = parse(KernelChannel::encodeText("shell", header, content("code", "1+1")));
		CPPUNIT_ASSERT_EQUAL(std::string("shell"), message->getValue<std::string>("channel"));
		CPPUNIT_ASSERT_EQUAL(std::string("s-1"), message->getObject("header")->getValue<std::string>("msg_id"));
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), message->getObject("parent_header")->size());
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), message->getObject("metadata")->size());
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), message->getArray("buffers")->size());
		CPPUNIT_ASSERT_EQUAL(std::string("1+1"), message->getObject("content")->getValue<std::string>("code"));
	}

	void testBinaryFrameCarriesHeaderEmptyPartsAndContent()
	{
		auto header = KernelChannel::header("s", "execute_request", "s-2");
		std::string frame = KernelChannel::encodeBinary("shell", header, content("code", "x"));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(6), word(frame, 0));
		Poco::JSON::Object::Ptr message = KernelChannel::decodeV1(frame);
		CPPUNIT_ASSERT_EQUAL(std::string("shell"), message->getValue<std::string>("channel"));
		CPPUNIT_ASSERT_EQUAL(std::string("s-2"), message->getObject("header")->getValue<std::string>("msg_id"));
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), message->getObject("parent_header")->size());
		CPPUNIT_ASSERT_EQUAL(std::string("x"), message->getObject("content")->getValue<std::string>("code"));
	}

	void testDecodeReadsTextAsJson()
	{
		Poco::JSON::Object::Ptr message = KernelChannel::decode("{\"channel\":\"iopub\"}", false);
		CPPUNIT_ASSERT_EQUAL(std::string("iopub"), message->getValue<std::string>("channel"));
		std::string frame = KernelChannel::encodeV1("iopub", {"{}"});
		CPPUNIT_ASSERT_EQUAL(std::string("iopub"), KernelChannel::decode(frame, true)->getValue<std::string>("channel"));
	}

	void testUserCodeStopsOnErrorAndIsStored()
	{
		Poco::JSON::Object::Ptr request = KernelChannel::executeRequest("print(1)", true);
		CPPUNIT_ASSERT_EQUAL(std::string("print(1)"), request->getValue<std::string>("code"));
		CPPUNIT_ASSERT(request->getValue<bool>("store_history"));
		CPPUNIT_ASSERT(request->getValue<bool>("stop_on_error"));
		CPPUNIT_ASSERT(!request->getValue<bool>("silent"));
		CPPUNIT_ASSERT(!request->getValue<bool>("allow_stdin"));
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), request->getObject("user_expressions")->size());
	}

	void testOwnCodeNeitherStopsNorIsStored()
	{
		Poco::JSON::Object::Ptr request = KernelChannel::executeRequest("x", false);
		CPPUNIT_ASSERT(!request->getValue<bool>("store_history"));
		CPPUNIT_ASSERT(!request->getValue<bool>("stop_on_error"));
		CPPUNIT_ASSERT(!request->getValue<bool>("silent"));
	}

	void testMessageIdsCountUpWithinTheSession()
	{
		KernelChannel channel("abc");
		CPPUNIT_ASSERT_EQUAL(std::string("abc"), channel.clientSession());
		CPPUNIT_ASSERT_EQUAL(std::string("abc-1"), channel.nextId());
		CPPUNIT_ASSERT_EQUAL(std::string("abc-2"), channel.nextId());
	}

	void testNewChannelIsClosed()
	{
		KernelChannel channel("abc");
		CPPUNIT_ASSERT(!channel.isOpen());
		channel.shutdown();   // no-ops without a connection
		channel.close();
		CPPUNIT_ASSERT(!channel.isOpen());
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(KernelChannelTest);
