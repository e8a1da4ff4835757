#include "execd/UserEnvironment.h"
#include "Poco/AutoPtr.h"
#include "Poco/Channel.h"
#include "Poco/Logger.h"
#include "Poco/Message.h"
#include <cppunit/extensions/HelperMacros.h>
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <unistd.h>


namespace UserEnvironment = execd::UserEnvironment;


namespace {


class RecordingChannel: public Poco::Channel
{
public:
	void log(const Poco::Message& message) override
	{
		lines.push_back(message.getText());
	}

	std::vector<std::string> lines;
};


std::string value(const UserEnvironment::Variables& env, const std::string& key)
{
	auto it = env.find(key);
	return it == env.end() ? "<unset>" : it->second;
}


} // namespace


class UserEnvironmentTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(UserEnvironmentTest);
	CPPUNIT_TEST(testReservedNamesInAnyCase);
	CPPUNIT_TEST(testLayers);
	CPPUNIT_TEST(testReservedNamesComeFromNowhere);
	CPPUNIT_TEST(testFileIsReadAtEachCall);
	CPPUNIT_TEST(testNoFileOrAMissingOne);
	CPPUNIT_TEST(testProblemsAreLoggedOnceWithoutValues);
	CPPUNIT_TEST(testAFileOfProblemsIsLoggedInShort);
	CPPUNIT_TEST(testEntriesFormat);
	CPPUNIT_TEST_SUITE_END();

public:
	void setUp() override
	{
		char path[] = "/tmp/execd-userenv-XXXXXX";
		int fd = ::mkstemp(path);
		CPPUNIT_ASSERT(fd >= 0);
		::close(fd);
		_path = path;
		_pChannel = new RecordingChannel;
		Poco::Logger::get("execd.env").setChannel(_pChannel);
		::setenv("EXECD_ENVS", _path.c_str(), 1);
	}

	void tearDown() override
	{
		::unsetenv("EXECD_ENVS");
		for (const char* name: {"UE_BASE", "UE_OVER", "EXECD_ACCESS_TOKEN", "JUPYTER_TOKEN", "JUPYTER_HOST"})
			::unsetenv(name);
		Poco::Logger::get("execd.env").setChannel(nullptr);
		::unlink(_path.c_str());
	}

	void testReservedNamesInAnyCase()
	{
		for (const char* name: {"EXECD_ACCESS_TOKEN", "jupyter_token", "Jupyter_Host", "EXECD_ISOLATION_CONFIG", "EXECD_ENVS",
			"OPENSANDBOX_LIFECYCLE", "EXECD_LIFECYCLE_CONFIG", "execd_runtime_init"})
			CPPUNIT_ASSERT_MESSAGE(name, UserEnvironment::reserved(name));
		for (const char* name: {"PATH", "EXECD_ACCESS_TOKEN_X", "JUPYTER", "OPENSANDBOX_ID", ""})
			CPPUNIT_ASSERT_MESSAGE(name, !UserEnvironment::reserved(name));
	}

	void testLayers()
	{
		// execd's environment < the file < the extras; the file expands from execd's.
		::setenv("UE_BASE", "base", 1);
		::setenv("UE_OVER", "base", 1);
		write("UE_OVER=file\nUE_FILE=\"from $UE_BASE\"\nUE_REQ=file\n");
		auto env = UserEnvironment::build({{"UE_REQ", "request"}, {"UE_EXTRA", "x"}});
		CPPUNIT_ASSERT_EQUAL(std::string("base"), value(env, "UE_BASE"));
		CPPUNIT_ASSERT_EQUAL(std::string("file"), value(env, "UE_OVER"));
		CPPUNIT_ASSERT_EQUAL(std::string("from base"), value(env, "UE_FILE"));
		CPPUNIT_ASSERT_EQUAL(std::string("request"), value(env, "UE_REQ"));
		CPPUNIT_ASSERT_EQUAL(std::string("x"), value(env, "UE_EXTRA"));
		CPPUNIT_ASSERT_EQUAL(std::string(std::getenv("PATH")), value(env, "PATH"));
	}

	void testReservedNamesComeFromNowhere()
	{
		// Not from execd's environment, not from the file (by name or by expansion).
		::setenv("EXECD_ACCESS_TOKEN", "access-secret", 1);
		::setenv("JUPYTER_HOST", "http://127.0.0.1:1", 1);
		write("JUPYTER_TOKEN=file-token\nexecd_access_token=other\nLEAK=\"[${EXECD_ACCESS_TOKEN}]\"\n");
		auto env = UserEnvironment::build();
		for (const auto& kv: env)
		{
			CPPUNIT_ASSERT_MESSAGE(kv.first, !UserEnvironment::reserved(kv.first));
			CPPUNIT_ASSERT_MESSAGE(kv.first, kv.second.find("secret") == std::string::npos);
			CPPUNIT_ASSERT_MESSAGE(kv.first, kv.second.find("file-token") == std::string::npos);
		}
		CPPUNIT_ASSERT_EQUAL(std::string("[]"), value(env, "LEAK"));
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), _pChannel->lines.size());
		CPPUNIT_ASSERT_EQUAL("EXECD_ENVS file " + _path + ": JUPYTER_TOKEN is reserved by execd; ignored", _pChannel->lines[0]);
		CPPUNIT_ASSERT_EQUAL("EXECD_ENVS file " + _path + ": execd_access_token is reserved by execd; ignored", _pChannel->lines[1]);
		// A request may still set them: that is the client's own value.
		CPPUNIT_ASSERT_EQUAL(std::string("mine"), value(UserEnvironment::build({{"JUPYTER_TOKEN", "mine"}}), "JUPYTER_TOKEN"));
	}

	void testFileIsReadAtEachCall()
	{
		write("UE_V=1\n");
		CPPUNIT_ASSERT_EQUAL(std::string("1"), value(UserEnvironment::build(), "UE_V"));
		write("UE_V=2\n");
		CPPUNIT_ASSERT_EQUAL(std::string("2"), value(UserEnvironment::build(), "UE_V"));
		write("");
		CPPUNIT_ASSERT_EQUAL(std::string("<unset>"), value(UserEnvironment::build(), "UE_V"));
	}

	void testNoFileOrAMissingOne()
	{
		::unsetenv("EXECD_ENVS");
		CPPUNIT_ASSERT(!UserEnvironment::build().empty());
		CPPUNIT_ASSERT(_pChannel->lines.empty());
		::setenv("EXECD_ENVS", "", 1);
		CPPUNIT_ASSERT(!UserEnvironment::build().empty());
		CPPUNIT_ASSERT(_pChannel->lines.empty());
		::setenv("EXECD_ENVS", "/nonexistent/env", 1);
		auto env = UserEnvironment::build();
		CPPUNIT_ASSERT_EQUAL(std::string(std::getenv("PATH")), value(env, "PATH"));
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), _pChannel->lines.size());
		CPPUNIT_ASSERT_EQUAL(std::string("EXECD_ENVS file /nonexistent/env: cannot open: No such file or directory"), _pChannel->lines[0]);
		::setenv("EXECD_ENVS", "$UE_UNDEFINED_DIR/env", 1);
		UserEnvironment::build();
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), _pChannel->lines.size());
		CPPUNIT_ASSERT(_pChannel->lines[1].find("UE_UNDEFINED_DIR") != std::string::npos);
	}

	void testProblemsAreLoggedOnceWithoutValues()
	{
		write("GOOD=1\nBAD=\"s3cr3t\nnoequals-s3cr3t\n");
		for (int i = 0; i < 3; ++i) UserEnvironment::build();
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), _pChannel->lines.size());
		CPPUNIT_ASSERT_EQUAL("EXECD_ENVS file " + _path + " line 2: BAD: unterminated double-quoted value; skipped", _pChannel->lines[0]);
		CPPUNIT_ASSERT_EQUAL("EXECD_ENVS file " + _path + " line 3: no '='; skipped", _pChannel->lines[1]);
		write("GOOD=1\n");   // fixed: nothing to say
		UserEnvironment::build();
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), _pChannel->lines.size());
		write("GOOD=1\nBAD=\"s3cr3t\nnoequals-s3cr3t\n");   // broken again: said again
		UserEnvironment::build();
		CPPUNIT_ASSERT_EQUAL(std::size_t(4), _pChannel->lines.size());
		for (const std::string& line: _pChannel->lines)
			CPPUNIT_ASSERT_MESSAGE(line, line.find("s3cr3t") == std::string::npos);
	}

	void testAFileOfProblemsIsLoggedInShort()
	{
		std::string text;
		for (int i = 0; i < 150; ++i) text += "bad\n";
		for (const char* name: {"EXECD_ENVS", "execd_envs", "Execd_Envs"}) text += std::string(name) + "=x\n";
		write(text);
		UserEnvironment::build();
		CPPUNIT_ASSERT_EQUAL(std::size_t(21), _pChannel->lines.size());
		CPPUNIT_ASSERT_EQUAL("EXECD_ENVS file " + _path + " line 20: no '='; skipped", _pChannel->lines[19]);
		CPPUNIT_ASSERT_EQUAL("EXECD_ENVS file " + _path + ": 133 more problems not logged", _pChannel->lines[20]);
	}

	void testEntriesFormat()
	{
		write("UE_MULTI='a\nb=c'\n");
		auto entries = UserEnvironment::entries({{"UE_REQ", "r"}});
		CPPUNIT_ASSERT(std::find(entries.begin(), entries.end(), "UE_MULTI=a\nb=c") != entries.end());
		CPPUNIT_ASSERT(std::find(entries.begin(), entries.end(), "UE_REQ=r") != entries.end());
		CPPUNIT_ASSERT_EQUAL(UserEnvironment::build({{"UE_REQ", "r"}}).size(), entries.size());
	}

private:
	void write(const std::string& text)
	{
		std::ofstream(_path, std::ios::trunc) << text;
	}

	std::string _path;
	Poco::AutoPtr<RecordingChannel> _pChannel;
};


CPPUNIT_TEST_SUITE_REGISTRATION(UserEnvironmentTest);
