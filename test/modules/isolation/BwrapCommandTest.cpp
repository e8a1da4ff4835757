#include "BwrapCommand.h"
#include "execd/Paths.h"
#include "Poco/File.h"
#include <cppunit/extensions/HelperMacros.h>
#include <cstdlib>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>


using execd::isolation::BwrapCommand;
using execd::isolation::SessionConfig;


namespace {


std::string joined(const std::vector<std::string>& argv)
{
	std::string out;
	for (const std::string& a: argv) out += (out.empty() ? "" : " ") + a;
	return out;
}


} // namespace


class BwrapCommandTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(BwrapCommandTest);
	CPPUNIT_TEST(testDefaultOverlayStrict);
	CPPUNIT_TEST(testRwBalancedNoNetUserns);
	CPPUNIT_TEST(testEnvironmentRules);
	CPPUNIT_TEST(testSecretNames);
	CPPUNIT_TEST(testRealSession);
	CPPUNIT_TEST_SUITE_END();

public:
	void testDefaultOverlayStrict()
	{
		SessionConfig c;
		c.workspace = "/workspace";
		c.merged = "/var/lib/execd/isolation/ab/merged";
		c.upperRoot = "/var/lib/execd/isolation";
		c.uid = 1000;
		c.gid = 1000;
		CPPUNIT_ASSERT_EQUAL(std::string("bwrap --unshare-pid --unshare-uts --hostname sandbox --unshare-ipc --unshare-cgroup "
			"--ro-bind / / --tmpfs /tmp --tmpfs /run --dev /dev --bind /var/lib/execd/isolation/ab/merged /workspace "
			"--tmpfs /var/lib/execd/isolation --proc /proc --unsetenv EXECD_ACCESS_TOKEN --unsetenv JUPYTER_HOST "
			"--unsetenv JUPYTER_TOKEN --unsetenv EXECD_ISOLATION_CONFIG --unsetenv EXECD_ENVS --die-with-parent -- "
			"/usr/bin/setpriv --reuid=1000 --regid=1000 --clear-groups bash --noprofile --norc"),
			joined(BwrapCommand::build(c, "bwrap", {"PATH=/bin"}, {"bash", "--noprofile", "--norc"}, "/usr/bin/setpriv")));
	}

	void testRwBalancedNoNetUserns()
	{
		SessionConfig c;
		c.workspace = "/data/ws";
		c.mode = SessionConfig::Workspace::RW;
		c.strict = false;
		c.shareNet = false;
		c.userns = true;
		c.uid = 5;
		c.gid = 6;
		c.extraWritable = {"/mnt/x"};
		c.binds = {{"/data/in", "/mnt/in", true}, {"/data/out", "", false}};
		const std::string argv = joined(BwrapCommand::build(c, "bwrap", {}, {"sh"}, "setpriv"));
		CPPUNIT_ASSERT_EQUAL(std::string("bwrap --unshare-user --disable-userns --unshare-pid --unshare-uts --hostname sandbox "
			"--unshare-ipc --unshare-cgroup --unshare-net --uid 5 --gid 6 --ro-bind / / --bind /tmp /tmp --tmpfs /run --dev /dev "
			"--bind /data/ws /data/ws --bind /mnt/x /mnt/x --ro-bind /data/in /mnt/in --bind /data/out /data/out --proc /proc"),
			argv.substr(0, argv.find(" --unsetenv")));
		CPPUNIT_ASSERT(argv.find("setpriv") == std::string::npos);   // userns: no setpriv
		SessionConfig tmp;
		tmp.workspace = "/tmp";
		tmp.mode = SessionConfig::Workspace::RO;
		CPPUNIT_ASSERT(joined(BwrapCommand::build(tmp, "bwrap", {}, {"sh"}, "setpriv")).find("--ro-bind / / --tmpfs /run --dev /dev --ro-bind /tmp /tmp") != std::string::npos);
	}

	void testEnvironmentRules()
	{
		const std::vector<std::string> env{"PATH=/bin", "OPENAI_API_KEY=k", "aws_region=x", "GH_TOKEN=t", "HOME=/root", "EXECD_ACCESS_TOKEN=s"};
		SessionConfig c;
		c.workspace = "/w";
		c.mode = SessionConfig::Workspace::RW;
		std::string argv = joined(BwrapCommand::build(c, "bwrap", env, {"sh"}, "setpriv"));
		// A root session keeps a container's usual capabilities only.
		CPPUNIT_ASSERT_MESSAGE(argv, argv.find("--unsetenv GH_TOKEN --cap-drop ALL --cap-add CAP_CHOWN --cap-add CAP_DAC_OVERRIDE ") != std::string::npos);
		CPPUNIT_ASSERT(argv.find("CAP_SYS_ADMIN") == std::string::npos && argv.find("CAP_MKNOD") == std::string::npos);
		c.uid = 1000;
		argv = joined(BwrapCommand::build(c, "bwrap", env, {"sh"}, "setpriv"));
		CPPUNIT_ASSERT(argv.find("--cap-drop") == std::string::npos);   // setpriv's switch drops them all
		CPPUNIT_ASSERT(argv.find("--unsetenv OPENAI_API_KEY --unsetenv aws_region --unsetenv GH_TOKEN --die-with-parent") != std::string::npos);
		c.envKeys = {"HOME"};
		argv = joined(BwrapCommand::build(c, "bwrap", env, {"sh"}, "setpriv"));
		CPPUNIT_ASSERT(argv.find("--unsetenv EXECD_ENVS --unsetenv HOME --die-with-parent") != std::string::npos);   // no blacklist then
		c.env = SessionConfig::Env::ALLOW;
		c.envKeys = {"PATH", "EXECD_ACCESS_TOKEN", "MISSING"};
		argv = joined(BwrapCommand::build(c, "bwrap", env, {"sh"}, "setpriv"));
		CPPUNIT_ASSERT_MESSAGE(argv, argv.find("--proc /proc --die-with-parent") != std::string::npos);   // no values on the command line
		CPPUNIT_ASSERT_EQUAL(std::string("PATH=/bin"), joined(BwrapCommand::environment(c, env)));
		c.env = SessionConfig::Env::DENY;
		c.envKeys.clear();
		CPPUNIT_ASSERT_EQUAL(std::string("PATH=/bin HOME=/root"), joined(BwrapCommand::environment(c, env)));
		c.envKeys = {"HOME"};
		CPPUNIT_ASSERT_EQUAL(std::string("PATH=/bin OPENAI_API_KEY=k aws_region=x GH_TOKEN=t"), joined(BwrapCommand::environment(c, env)));
	}

	void testSecretNames()
	{
		for (const char* name: {"X_API_KEY", "x_token", "DB_SECRET", "A_PASSWORD", "AWS_KEY", "ALI_X", "ALIYUN_Y", "K8S_Z", "KUBE_CONFIG"})
			CPPUNIT_ASSERT_MESSAGE(name, BwrapCommand::secretName(name));
		for (const char* name: {"PATH", "TOKEN", "HOME", "AWS", "MY_TOKENS"})
			CPPUNIT_ASSERT_MESSAGE(name, !BwrapCommand::secretName(name));
	}

	void testRealSession()
	{
		// The command line as bwrap takes it: a shell as nobody, the workspace
		// writable, /tmp private, a secret variable gone.
		if (::access("/usr/bin/bwrap", X_OK) != 0 || ::getuid() != 0) return;   // setup.sh installs it; CI runs as root
		char dir[] = "/var/tmp/execd-bwrapcmd-XXXXXX";   // not under /tmp: bwrap makes the way through a private /tmp 0700
		CPPUNIT_ASSERT(::mkdtemp(dir));
		CPPUNIT_ASSERT_EQUAL(0, ::chmod(dir, 0755));
		const std::string ws = std::string(dir) + "/ws";
		Poco::File(ws).createDirectories();
		CPPUNIT_ASSERT_EQUAL(0, ::chown(ws.c_str(), 65534, 65534));
		SessionConfig c;
		c.workspace = ws;
		c.mode = SessionConfig::Workspace::RW;
		c.uid = 65534;
		c.gid = 65534;
		const std::vector<std::string> argv = BwrapCommand::build(c, "/usr/bin/bwrap", {"PATH=/usr/bin:/bin", "MY_API_KEY=hidden"},
			{"/bin/sh"}, "/usr/bin/setpriv");
		std::string command = "printf %s " + execd::Paths::shellQuote("id -u; echo ${MY_API_KEY:-unset}; echo x > " + ws + "/f; ls /tmp | wc -l; hostname\n") + " | env MY_API_KEY=hidden";
		for (const std::string& a: argv) command += " " + execd::Paths::shellQuote(a);
		FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
		std::string out;
		char buffer[4096];
		for (std::size_t n; (n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0;) out.append(buffer, n);
		::pclose(pipe);
		const bool wrote = Poco::File(ws + "/f").exists();
		Poco::File(dir).remove(true);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(out, std::string("65534\nunset\n0\nsandbox\n"), out);
		CPPUNIT_ASSERT(wrote);
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(BwrapCommandTest);
