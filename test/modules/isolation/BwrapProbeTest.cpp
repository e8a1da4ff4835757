#include "BwrapProbe.h"
#include <cppunit/extensions/HelperMacros.h>
#include <unistd.h>


using execd::isolation::BwrapProbe;
using execd::isolation::Capabilities;


class BwrapProbeTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(BwrapProbeTest);
	CPPUNIT_TEST(testVersion);
	CPPUNIT_TEST(testFind);
	CPPUNIT_TEST(testCapabilitiesDocument);
	CPPUNIT_TEST(testExitStatusHasADeadline);
	CPPUNIT_TEST(testProbeOnThisMachine);
	CPPUNIT_TEST_SUITE_END();

public:
	void testVersion()
	{
		CPPUNIT_ASSERT_EQUAL(std::string("0.8.0"), BwrapProbe::parseVersion("bubblewrap 0.8.0\n"));
		CPPUNIT_ASSERT_EQUAL(std::string("0.11.2"), BwrapProbe::parseVersion("bwrap 0.11.2"));
		CPPUNIT_ASSERT_EQUAL(std::string(), BwrapProbe::parseVersion("bubblewrap"));
		CPPUNIT_ASSERT_EQUAL(std::string(), BwrapProbe::parseVersion(""));
	}

	void testFind()
	{
		// $PATH first, then the fixed places; nothing on an empty PATH only if none of those exists.
		const std::string found = BwrapProbe::find("/nonexistent:/also/not");
		CPPUNIT_ASSERT(found.empty() || found == "/usr/bin/bwrap" || found == "/opt/opensandbox/bwrap" || found == "/usr/local/bin/bwrap");
		if (::access("/usr/bin/bwrap", X_OK) == 0)
			CPPUNIT_ASSERT_EQUAL(std::string("/usr/bin/bwrap"), BwrapProbe::find("/usr/bin"));
	}

	void testCapabilitiesDocument()
	{
		Capabilities none;
		none.message = "bwrap not found: x";
		CPPUNIT_ASSERT_EQUAL(std::string("{\"available\":false,\"message\":\"bwrap not found: x\",\"setpriv_available\":false,"
			"\"userns_available\":false,\"commit_supported\":false,\"diff_supported\":false}"), none.json(false, true));
		Capabilities some;
		some.bwrap = "/usr/bin/bwrap";
		some.version = "0.8.0";
		some.setprivAvailable = true;
		some.overlayAvailable = true;
		CPPUNIT_ASSERT_EQUAL(std::string("{\"available\":true,\"isolator\":\"bwrap\",\"version\":\"0.8.0\",\"setpriv_available\":true,"
			"\"userns_available\":false,\"commit_supported\":true,\"diff_supported\":true}"), some.json(true, true));
		CPPUNIT_ASSERT(some.json(true, false).find("\"commit_supported\":false,\"diff_supported\":false") != std::string::npos);
	}

	void testExitStatusHasADeadline()
	{
		CPPUNIT_ASSERT_EQUAL(3, BwrapProbe::exitStatus({"/bin/sh", "-c", "echo out; exit 3"}, std::chrono::seconds(5)));
		std::string output;
		CPPUNIT_ASSERT_EQUAL(0, BwrapProbe::exitStatus({"/bin/sh", "-c", "echo out; echo err >&2"}, std::chrono::seconds(5), &output));
		CPPUNIT_ASSERT(output.find("out") != std::string::npos && output.find("err") != std::string::npos);
		auto start = std::chrono::steady_clock::now();
		CPPUNIT_ASSERT_EQUAL(-1, BwrapProbe::exitStatus({"/bin/sleep", "10"}, std::chrono::milliseconds(200)));
		CPPUNIT_ASSERT(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
		CPPUNIT_ASSERT_EQUAL(-1, BwrapProbe::exitStatus({"/nonexistent/program"}, std::chrono::seconds(1)));
	}

	void testProbeOnThisMachine()
	{
		// setup.sh installs bubblewrap; as root a session with execd's identity starts.
		Capabilities caps = BwrapProbe::run();
		if (::access("/usr/bin/bwrap", X_OK) != 0)
		{
			CPPUNIT_ASSERT(!caps.available());
			CPPUNIT_ASSERT(caps.message.find("bwrap not found") == 0);
			return;
		}
		CPPUNIT_ASSERT_MESSAGE(caps.message, caps.available());
		CPPUNIT_ASSERT(!caps.version.empty());
		if (::getuid() == 0) CPPUNIT_ASSERT(caps.setprivAvailable && caps.identitySwitch);
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(BwrapProbeTest);
