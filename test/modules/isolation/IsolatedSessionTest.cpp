// IsolatedSession against the real bubblewrap (setup.sh installs it; CI runs as root).

#include "IsolatedSession.h"
#include "execd/Http.h"
#include "Poco/File.h"
#include <cppunit/extensions/HelperMacros.h>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>


using namespace execd::isolation;


namespace {


struct Scratch
{
	char path[48] = "/var/tmp/execd-isolated-XXXXXX";   // not under /tmp: the strict profile's /tmp is private
	Scratch() { CPPUNIT_ASSERT(::mkdtemp(path)); ::chmod(path, 0755); Poco::File(std::string(path) + "/ws").createDirectories(); Poco::File(std::string(path) + "/upper").createDirectories(); }
	~Scratch() { Poco::File(path).remove(true); }
	std::string ws() const { return std::string(path) + "/ws"; }
};


std::unique_ptr<IsolatedSession> session(const Scratch& scratch, const std::string& mode)
{
	SessionRequest request = SessionRequest::parse(execd::JsonBody::parse("{\"workspace\":{\"path\":\"" + scratch.ws() + "\",\"mode\":\"" + mode + "\"}}", ""), {});
	IsolatedSession::Paths paths{"/usr/bin/bwrap", "/usr/bin/setpriv", {"/bin/bash", "--noprofile", "--norc"}, std::string(scratch.path) + "/upper", ""};
	auto pSession = std::make_unique<IsolatedSession>("s1", request, paths);
	pSession->start();
	return pSession;
}


std::string run(IsolatedSession& s, const std::string& code, std::optional<int>& status, std::string& error,
	std::chrono::milliseconds timeout = std::chrono::milliseconds(0), const std::vector<std::pair<std::string, std::string>>& envs = {})
{
	std::string out;
	IsolatedSession::Outcome o = s.run(code, envs, timeout, [&out](const std::string& line) { out += line + "\n"; return true; });
	status = o.status;
	error = o.error;
	return out;
}


bool usable()
{
	return ::access("/usr/bin/bwrap", X_OK) == 0 && ::getuid() == 0;
}


} // namespace


class IsolatedSessionTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(IsolatedSessionTest);
	CPPUNIT_TEST(testStatePersistsAndEnvsAreASubshell);
	CPPUNIT_TEST(testTimeoutKeepsTheSession);
	CPPUNIT_TEST(testOverlayLeavesTheHostAlone);
	CPPUNIT_TEST(testExitEndsTheSession);
	CPPUNIT_TEST_SUITE_END();

public:
	void testStatePersistsAndEnvsAreASubshell()
	{
		if (!usable()) return;
		Scratch scratch;
		auto s = session(scratch, "rw");
		std::optional<int> status;
		std::string error;
		CPPUNIT_ASSERT_EQUAL(std::string("hi\noops\na\nb\n"), run(*s, "echo hi; echo oops >&2; printf 'a\\n\\nb'; cd /; X=1", status, error));
		CPPUNIT_ASSERT_EQUAL(0, status.value_or(-1));
		CPPUNIT_ASSERT_EQUAL(std::string("1 /\n"), run(*s, "echo $X $PWD", status, error));
		CPPUNIT_ASSERT_EQUAL(std::string("v 1\n"), run(*s, "echo $Y $X; X=2", status, error, std::chrono::milliseconds(0), {{"Y", "v"}}));
		CPPUNIT_ASSERT_EQUAL(std::string("1\n"), run(*s, "echo $X; (exit 3)", status, error));
		CPPUNIT_ASSERT_EQUAL(3, status.value_or(-1));
		run(*s, "echo x > " + scratch.ws() + "/f", status, error);
		CPPUNIT_ASSERT(Poco::File(scratch.ws() + "/f").exists());   // rw: the host sees it
	}

	void testTimeoutKeepsTheSession()
	{
		if (!usable()) return;
		Scratch scratch;
		auto s = session(scratch, "rw");
		std::optional<int> status;
		std::string error;
		auto start = std::chrono::steady_clock::now();
		run(*s, "echo start; sleep 30", status, error, std::chrono::milliseconds(300));
		CPPUNIT_ASSERT_EQUAL(std::string("context deadline exceeded"), error);
		CPPUNIT_ASSERT(!status);
		CPPUNIT_ASSERT(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
		CPPUNIT_ASSERT_EQUAL(std::string("after\n"), run(*s, "echo after", status, error));
		CPPUNIT_ASSERT(s->alive());
	}

	void testOverlayLeavesTheHostAlone()
	{
		if (!usable()) return;
		Scratch scratch;
		std::ofstream(scratch.ws() + "/keep") << "host";
		auto s = session(scratch, "overlay");
		std::optional<int> status;
		std::string error;
		CPPUNIT_ASSERT_EQUAL(std::string("host\n"), run(*s, "cat " + scratch.ws() + "/keep; echo new > " + scratch.ws() + "/new; rm " + scratch.ws() + "/keep", status, error));
		CPPUNIT_ASSERT_EQUAL(0, status.value_or(-1));
		CPPUNIT_ASSERT(Poco::File(scratch.ws() + "/keep").exists());
		CPPUNIT_ASSERT(!Poco::File(scratch.ws() + "/new").exists());
		CPPUNIT_ASSERT(Poco::File(s->sessionDirectory() + "/upper/new").exists());
		// The upper root is hidden inside.
		CPPUNIT_ASSERT_EQUAL(std::string("0\n"), run(*s, "ls " + std::string(scratch.path) + "/upper | wc -l", status, error));
		const std::string dir = s->sessionDirectory();
		s->stop();
		CPPUNIT_ASSERT(!Poco::File(dir).exists());
	}

	void testExitEndsTheSession()
	{
		if (!usable()) return;
		Scratch scratch;
		auto s = session(scratch, "ro");
		std::optional<int> status;
		std::string error;
		run(*s, "echo x > " + scratch.ws() + "/f", status, error);
		CPPUNIT_ASSERT(status.value_or(0) != 0);   // read-only
		run(*s, "exit 4", status, error);
		CPPUNIT_ASSERT_EQUAL(std::string("session process exited without end marker (process may have died or called exit)"), error);
		run(*s, "echo again", status, error);
		CPPUNIT_ASSERT_EQUAL(std::string("isolated session is not active: session process has exited"), error);
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(IsolatedSessionTest);
