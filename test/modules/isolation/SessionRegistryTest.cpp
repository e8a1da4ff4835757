// SessionRegistry with real bwrap sessions (setup.sh installs bubblewrap; CI runs as root).

#include "SessionRegistry.h"
#include "execd/Http.h"
#include "Poco/Exception.h"
#include "Poco/File.h"
#include <cppunit/extensions/HelperMacros.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>


using namespace execd::isolation;


namespace {


struct Workspace
{
	char path[48] = "/var/tmp/execd-registry-XXXXXX";
	Workspace() { CPPUNIT_ASSERT(::mkdtemp(path)); ::chmod(path, 0755); }
	~Workspace() { Poco::File(path).remove(true); }
};


std::shared_ptr<IsolatedSession> started(const Workspace& ws, const std::string& id, int idleSeconds)
{
	SessionRequest request = SessionRequest::parse(execd::JsonBody::parse("{\"workspace\":{\"path\":\"" + std::string(ws.path)
		+ "\",\"mode\":\"rw\"},\"idle_timeout_seconds\":" + std::to_string(idleSeconds) + "}", ""), {});
	auto pSession = std::make_shared<IsolatedSession>(id, request, IsolatedSession::Paths{"/usr/bin/bwrap", "/usr/bin/setpriv", {"/bin/sh"}, "", ""});
	pSession->start();
	return pSession;
}


} // namespace


class SessionRegistryTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(SessionRegistryTest);
	CPPUNIT_TEST(testIdleAndDeadSessionsAreReaped);
	CPPUNIT_TEST(testRemoveAndStop);
	CPPUNIT_TEST_SUITE_END();

public:
	void testIdleAndDeadSessionsAreReaped()
	{
		if (::access("/usr/bin/bwrap", X_OK) != 0 || ::getuid() != 0) return;
		Workspace ws;
		SessionRegistry registry(std::chrono::milliseconds(100));
		registry.add(started(ws, "idle", 1));
		registry.add(started(ws, "forever", 0));
		registry.add(started(ws, "busy", 1));
		auto dead = started(ws, "dead", 0);
		registry.add(dead);
		dead->run("exit 1", {}, std::chrono::milliseconds(0), [](const std::string&) { return true; });
		auto busy = registry.find("busy");
		std::unique_lock<std::mutex> running(*busy->running);   // as a run holds it
		registry.collect();
		CPPUNIT_ASSERT(!registry.find("dead"));
		CPPUNIT_ASSERT(registry.find("idle"));
		std::this_thread::sleep_for(std::chrono::milliseconds(1200));
		registry.collect();
		CPPUNIT_ASSERT(!registry.find("idle"));
		CPPUNIT_ASSERT(registry.find("forever"));
		CPPUNIT_ASSERT(registry.find("busy"));   // never reaped mid-run
		running.unlock();
		registry.collect();
		CPPUNIT_ASSERT(!registry.find("busy"));
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), registry.list().size());
	}

	void testRemoveAndStop()
	{
		if (::access("/usr/bin/bwrap", X_OK) != 0 || ::getuid() != 0) return;
		Workspace ws;
		SessionRegistry registry;
		auto a = started(ws, "a", 0);
		registry.add(a);
		registry.add(started(ws, "b", 0));
		registry.start();
		bool thrown = false;
		try
		{
			registry.remove("nope");
		}
		catch (Poco::NotFoundException&)
		{
			thrown = true;
		}
		CPPUNIT_ASSERT(thrown);
		registry.remove("a");
		CPPUNIT_ASSERT(!a->alive());
		auto b = registry.find("b")->session;
		registry.stop();
		CPPUNIT_ASSERT(!b->alive());
		CPPUNIT_ASSERT(registry.list().empty());
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(SessionRegistryTest);
