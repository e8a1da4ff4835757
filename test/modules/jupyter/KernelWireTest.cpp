// The ZeroMQ wire format of kernel messages (issue #17): framing, HMAC-SHA256
// signatures as jupyter_client computes them, and what a receiver refuses.

#include "KernelWire.h"
#include <cppunit/extensions/HelperMacros.h>


using execd::jupyter::KernelWire;


class KernelWireTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(KernelWireTest);
	CPPUNIT_TEST(testSignatureMatchesJupyterClient);
	CPPUNIT_TEST(testRoundTrip);
	CPPUNIT_TEST(testBadSignatureIsRefused);
	CPPUNIT_TEST(testMalformed);
	CPPUNIT_TEST(testUnsigned);
	CPPUNIT_TEST_SUITE_END();

public:
	void testSignatureMatchesJupyterClient()
	{
		// hmac.new(b"secret-key", header + parent + metadata + content, hashlib.sha256).hexdigest()
		KernelWire wire("secret-key");
		CPPUNIT_ASSERT_EQUAL(std::string("f29edc2ae347e99e996cf426a9068abd72bbac08f131d7b7d863f0430600434a"),
			wire.sign("{\"msg_id\":\"1\"}", "{}", "{}", "{\"code\":\"1+1\"}"));
	}

	void testRoundTrip()
	{
		KernelWire wire("k");
		KernelWire::Message message;
		message.identities = {"id-1", std::string("\0\x01", 2)};
		message.header = "{\"msg_type\":\"execute_request\"}";
		message.parentHeader = "{}";
		message.metadata = "{}";
		message.content = "{\"code\":\"x\"}";
		message.buffers = {std::string("\xff\x00", 2)};
		std::vector<std::string> frames = wire.encode(message);
		CPPUNIT_ASSERT_EQUAL(std::size_t(9), frames.size());
		CPPUNIT_ASSERT_EQUAL(KernelWire::DELIMITER, frames[2]);
		KernelWire::Message back;
		CPPUNIT_ASSERT(wire.decode(frames, back) == KernelWire::Result::OK);
		CPPUNIT_ASSERT(back.identities == message.identities);
		CPPUNIT_ASSERT_EQUAL(message.header, back.header);
		CPPUNIT_ASSERT_EQUAL(message.content, back.content);
		CPPUNIT_ASSERT(back.buffers == message.buffers);
	}

	void testBadSignatureIsRefused()
	{
		KernelWire wire("k");
		KernelWire::Message message;
		message.header = "{}";
		message.parentHeader = "{}";
		message.metadata = "{}";
		message.content = "{\"a\":1}";
		std::vector<std::string> frames = wire.encode(message);
		KernelWire::Message back;
		back.content = "untouched";
		std::vector<std::string> tampered = frames;
		tampered.back() = "{\"a\":2}";
		CPPUNIT_ASSERT(wire.decode(tampered, back) == KernelWire::Result::BAD_SIGNATURE);
		CPPUNIT_ASSERT_EQUAL(std::string("untouched"), back.content);
		CPPUNIT_ASSERT(KernelWire("other").decode(frames, back) == KernelWire::Result::BAD_SIGNATURE);
		tampered = frames;
		tampered[1] = tampered[1].substr(1);   // a shorter signature
		CPPUNIT_ASSERT(wire.decode(tampered, back) == KernelWire::Result::BAD_SIGNATURE);
		tampered[1] = "";
		CPPUNIT_ASSERT(wire.decode(tampered, back) == KernelWire::Result::BAD_SIGNATURE);
	}

	void testMalformed()
	{
		KernelWire wire("k");
		KernelWire::Message back;
		CPPUNIT_ASSERT(wire.decode({}, back) == KernelWire::Result::MALFORMED);
		CPPUNIT_ASSERT(wire.decode({"a", "b", "c", "d", "e", "f"}, back) == KernelWire::Result::MALFORMED);
		CPPUNIT_ASSERT(wire.decode({KernelWire::DELIMITER, "sig", "{}", "{}", "{}"}, back) == KernelWire::Result::MALFORMED);
	}

	void testUnsigned()
	{
		// An empty key (a connection file without one): empty signatures both ways.
		KernelWire wire("");
		CPPUNIT_ASSERT_EQUAL(std::string(""), wire.sign("a", "b", "c", "d"));
		KernelWire::Message back;
		CPPUNIT_ASSERT(wire.decode({KernelWire::DELIMITER, "", "{}", "{}", "{}", "{}"}, back) == KernelWire::Result::OK);
		CPPUNIT_ASSERT(wire.decode({KernelWire::DELIMITER, "abc", "{}", "{}", "{}", "{}"}, back) == KernelWire::Result::BAD_SIGNATURE);
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(KernelWireTest);
