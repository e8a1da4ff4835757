#include "SessionRequest.h"
#include "execd/ApiException.h"
#include "Poco/File.h"
#include <cppunit/extensions/HelperMacros.h>
#include <unistd.h>


using execd::ApiException;
using execd::JsonBody;
using execd::isolation::SessionConfig;
using execd::isolation::SessionRequest;


namespace {


SessionRequest parse(const std::string& json, const std::vector<std::string>& allowed = {"/workspace", "/mnt", "/media", "/data"})
{
	return SessionRequest::parse(JsonBody::parse(json, ""), allowed);
}


std::string failure(const std::string& json, int& status, const std::vector<std::string>& allowed = {"/workspace", "/mnt", "/media", "/data"})
{
	try
	{
		parse(json, allowed);
	}
	catch (ApiException& exc)
	{
		status = exc.status();
		return exc.errorCode() + ": " + exc.message();
	}
	status = 0;
	return "";
}


} // namespace


class SessionRequestTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(SessionRequestTest);
	CPPUNIT_TEST(testDefaults);
	CPPUNIT_TEST(testShapeErrors);
	CPPUNIT_TEST(testAllowlist);
	CPPUNIT_TEST_SUITE_END();

public:
	void testDefaults()
	{
		SessionRequest r = parse("{\"workspace\":{\"path\":\"/workspace/./a/\"},\"env_passthrough\":{\"keys\":[\"X\"]}}");
		CPPUNIT_ASSERT_EQUAL(std::string("/workspace/a"), r.config.workspace);
		CPPUNIT_ASSERT(r.config.mode == SessionConfig::Workspace::OVERLAY);
		CPPUNIT_ASSERT(r.config.strict && r.config.shareNet && !r.config.userns);
		CPPUNIT_ASSERT(r.config.env == SessionConfig::Env::DENY && r.config.envKeys.empty() && !r.envModeGiven);   // keys without a mode: ignored
		CPPUNIT_ASSERT_EQUAL(static_cast<uid_t>(::getuid()), r.config.uid);
		CPPUNIT_ASSERT(!r.uid && !r.shareNet);
		r = parse("{\"Workspace\":{\"path\":\"/w\",\"mode\":\"rw\"},\"profile\":\"balanced\",\"share_net\":false,\"uid\":7,\"gid\":8,"
			"\"uid_mode\":\"userns\",\"env_passthrough\":{\"mode\":\"allow\",\"keys\":[\"PATH\"]},\"idle_timeout_seconds\":-5}");
		CPPUNIT_ASSERT(r.config.mode == SessionConfig::Workspace::RW && !r.config.strict && !r.config.shareNet && r.config.userns);
		CPPUNIT_ASSERT_EQUAL(static_cast<uid_t>(7), r.config.uid);
		CPPUNIT_ASSERT(r.config.env == SessionConfig::Env::ALLOW && r.config.envKeys.size() == 1);
		CPPUNIT_ASSERT_EQUAL(Poco::Int64(-5), r.idleTimeoutSeconds);
	}

	void testShapeErrors()
	{
		int status = 0;
		CPPUNIT_ASSERT_EQUAL(std::string("INVALID_REQUEST_BODY: Key: 'CreateIsolatedSessionRequest.Workspace.Path' Error:Field validation for 'Path' failed on the 'required' tag"), failure("{}", status));
		CPPUNIT_ASSERT_EQUAL(400, status);
		CPPUNIT_ASSERT_EQUAL(std::string("INVALID_REQUEST_BODY: invalid workspace mode \"x\": must be rw, overlay, or ro"),
			failure("{\"workspace\":{\"path\":\"/w\",\"mode\":\"x\"}}", status));
		CPPUNIT_ASSERT_EQUAL(std::string("INVALID_REQUEST_BODY: invalid env_passthrough mode \"x\": must be \"deny\" or \"allow\""),
			failure("{\"workspace\":{\"path\":\"/w\"},\"env_passthrough\":{\"mode\":\"x\"}}", status));
		CPPUNIT_ASSERT_EQUAL(std::string("INVALID_REQUEST_BODY: invalid uid_mode \"x\": must be \"setpriv\" or \"userns\""),
			failure("{\"workspace\":{\"path\":\"/w\"},\"uid_mode\":\"x\"}", status));
		CPPUNIT_ASSERT_EQUAL(std::string("INVALID_REQUEST_BODY: binds[0].source is required"), failure("{\"workspace\":{\"path\":\"/w\"},\"binds\":[{}]}", status));
		CPPUNIT_ASSERT_EQUAL(std::string("INVALID_REQUEST_BODY: binds[0].dest \"x\" must be an absolute path"),
			failure("{\"workspace\":{\"path\":\"/w\"},\"binds\":[{\"source\":\"/data\",\"dest\":\"x\"}]}", status));
		CPPUNIT_ASSERT(failure("{\"workspace\":{\"path\":\"/w\"},\"uid\":-1}", status).find("INVALID_REQUEST_BODY: json: ") == 0);   // out of range for a uint32
		CPPUNIT_ASSERT_EQUAL(std::string("RUNTIME_ERROR: start bwrap: unknown isolation profile \"x\""), failure("{\"workspace\":{\"path\":\"/w\"},\"profile\":\"x\"}", status));
		CPPUNIT_ASSERT_EQUAL(400, status);
	}

	void testAllowlist()
	{
		char dir[] = "/tmp/execd-allow-XXXXXX";
		CPPUNIT_ASSERT(::mkdtemp(dir));
		const std::string base(dir);
		Poco::File(base + "/ok/sub").createDirectories();
		CPPUNIT_ASSERT_EQUAL(0, ::symlink((base + "/ok/sub").c_str(), (base + "/link").c_str()));
		CPPUNIT_ASSERT_EQUAL(0, ::symlink("/etc", (base + "/ok/escape").c_str()));
		const std::vector<std::string> allowed{base + "/ok"};
		int status = 0;
		SessionRequest r = parse("{\"workspace\":{\"path\":\"/w\"},\"extra_writable\":[\"" + base + "/link\"],\"binds\":[{\"source\":\"" + base + "/ok\",\"readonly\":true}]}", allowed);
		CPPUNIT_ASSERT_EQUAL(base + "/ok/sub", r.config.extraWritable.at(0));   // resolved, and in the allowlist
		CPPUNIT_ASSERT(r.config.binds.at(0).readonly);
		CPPUNIT_ASSERT_EQUAL(std::string("RUNTIME_ERROR: extra_writable path \"" + base + "/ok/escape\": not in allowlist"),
			failure("{\"workspace\":{\"path\":\"/w\"},\"extra_writable\":[\"" + base + "/ok/escape\"]}", status, allowed));
		CPPUNIT_ASSERT_EQUAL(std::string("RUNTIME_ERROR: extra_writable path \"" + base + "/none\": must be an existing path: lstat " + base + "/none: no such file or directory"),
			failure("{\"workspace\":{\"path\":\"/w\"},\"extra_writable\":[\"" + base + "/none\"]}", status, allowed));
		CPPUNIT_ASSERT_EQUAL(std::string("RUNTIME_ERROR: binds not allowed: no paths in allowlist"),
			failure("{\"workspace\":{\"path\":\"/w\"},\"binds\":[{\"source\":\"/etc\"}]}", status, {}));
		CPPUNIT_ASSERT_EQUAL(400, status);
		Poco::File(base).remove(true);
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(SessionRequestTest);
