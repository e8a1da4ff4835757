#include "BwrapProbe.h"
#include "execd/Paths.h"
#include "execd/Subprocess.h"
#include "Poco/Exception.h"
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <poll.h>
#include <regex>
#include <sstream>
#include <unistd.h>


namespace execd {
namespace isolation {


namespace {


std::string quoted(const std::string& text)
{
	std::string out = "\"";
	for (char c: text)
	{
		if (c == '"' || c == '\\') out += '\\';
		if (static_cast<unsigned char>(c) < 0x20) continue;
		out += c;
	}
	return out + "\"";
}


std::vector<std::string> smokeCommand(const std::string& bwrap, bool userns)
{
	std::vector<std::string> argv{bwrap};
	if (userns)
	{
		argv.insert(argv.end(), {"--unshare-user", "--uid", std::to_string(::getuid()), "--gid", std::to_string(::getgid())});
	}
	argv.insert(argv.end(), {"--unshare-pid", "--unshare-uts", "--unshare-ipc", "--unshare-cgroup", "--ro-bind", "/", "/",
		"--proc", "/proc", "--"});
	return argv;
}


} // namespace


bool Capabilities::available() const
{
	return setprivAvailable || usernsAvailable;
}


std::string Capabilities::json(bool runner, bool diffAndCommit) const
{
	std::string out = std::string("{\"available\":") + (runner && available() ? "true" : "false");
	if (!bwrap.empty()) out += ",\"isolator\":\"bwrap\"";
	if (!version.empty()) out += ",\"version\":" + quoted(version);
	if (!runner && !message.empty()) out += ",\"message\":" + quoted(message);
	out += std::string(",\"setpriv_available\":") + (setprivAvailable ? "true" : "false");
	out += std::string(",\"userns_available\":") + (usernsAvailable ? "true" : "false");
	const char* supported = diffAndCommit && overlayAvailable ? "true" : "false";
	out += std::string(",\"commit_supported\":") + supported + ",\"diff_supported\":" + supported + "}";
	return out;
}


const std::vector<std::string> BwrapProbe::SEARCHED{"/opt/opensandbox/bwrap", "/usr/bin/bwrap", "/usr/local/bin/bwrap"};


std::string BwrapProbe::find(const std::string& pathVariable)
{
	std::istringstream dirs(pathVariable);
	for (std::string dir; std::getline(dirs, dir, ':');)
	{
		if (dir.empty()) continue;
		const std::string candidate = dir + "/bwrap";
		if (::access(candidate.c_str(), X_OK) == 0) return candidate;
	}
	for (const std::string& candidate: SEARCHED)
		if (::access(candidate.c_str(), X_OK) == 0) return candidate;
	return "";
}


std::string BwrapProbe::parseVersion(const std::string& output)
{
	std::smatch m;
	static const std::regex VERSION("b(?:ubble)?wrap\\s+(\\d+\\.\\d+\\.\\d+)");
	return std::regex_search(output, m, VERSION) ? m[1].str() : std::string();
}


int BwrapProbe::exitStatus(const std::vector<std::string>& argv, std::chrono::milliseconds deadline, std::string* pOutput)
{
	Subprocess process;
	Subprocess::Options options;
	options.argv = argv;
	options.env = Subprocess::environment();
	options.output = Subprocess::Output::PIPES;
	try
	{
		process.start(options);
	}
	catch (Poco::Exception&)
	{
		return -1;
	}
	const auto end = std::chrono::steady_clock::now() + deadline;
	std::string output;
	pollfd fds[] = {{process.output(), POLLIN, 0}, {process.errors(), POLLIN, 0}, {process.exitDescriptor(), POLLIN, 0}};
	for (;;)
	{
		const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now()).count();
		if (left <= 0)
		{
			process.signalGroup(SIGKILL);
			process.wait();
			return -1;
		}
		if (::poll(fds, 3, static_cast<int>(left)) < 0 && errno != EINTR) break;
		for (int i = 0; i < 2; ++i)
		{
			if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
			char buffer[1024];
			ssize_t n = ::read(fds[i].fd, buffer, sizeof(buffer));
			if (n > 0 && output.size() < 4096) output.append(buffer, static_cast<std::size_t>(n));
			if (n == 0) fds[i].fd = -1;
		}
		if (fds[2].revents & POLLIN) break;
	}
	const int status = process.wait();
	if (pOutput) *pOutput = output.substr(0, 4096);
	int code = -1;
	Subprocess::describeExit(status, code);
	return code;
}


Capabilities BwrapProbe::run(std::chrono::milliseconds deadline)
{
	Capabilities caps;
	const char* path = std::getenv("PATH");
	caps.bwrap = find(path ? path : "");
	if (caps.bwrap.empty())
	{
		std::string searched = "$PATH";
		for (const std::string& s: SEARCHED) searched += ", " + s;
		caps.message = "bwrap not found: bwrap not found (searched: " + searched + ")";
		return caps;
	}
	std::string output;
	exitStatus({caps.bwrap, "--version"}, deadline, &output);
	caps.version = parseVersion(output);

	std::string setprivError;
	std::vector<std::string> own = smokeCommand(caps.bwrap, false);
	const std::string setpriv = Paths::findExecutable("setpriv", {"/usr/bin/setpriv", "/bin/setpriv"});
	const bool root = ::getuid() == 0 && ::getgid() == 0;
	if (!root && !setpriv.empty())
		own.insert(own.end(), {setpriv, "--reuid=" + std::to_string(::getuid()), "--regid=" + std::to_string(::getgid()), "--clear-groups"});
	own.push_back("true");
	caps.setprivAvailable = exitStatus(own, deadline, &setprivError) == 0;
	if (caps.setprivAvailable && !setpriv.empty())
	{
		const std::string target = ::getuid() == 65534 ? "65533" : "65534";
		std::vector<std::string> other = smokeCommand(caps.bwrap, false);
		other.insert(other.end(), {setpriv, "--reuid=" + target, "--regid=" + target, "--clear-groups", "true"});
		caps.identitySwitch = exitStatus(other, deadline) == 0;
	}
	std::string usernsError;
	std::vector<std::string> userns = smokeCommand(caps.bwrap, true);
	userns.push_back("true");
	caps.usernsAvailable = exitStatus(userns, deadline, &usernsError) == 0;
	if (!caps.available())
	{
		auto firstLine = [](std::string text)
		{
			text = text.substr(0, text.find('\n'));
			return text.empty() ? std::string("failed") : text;
		};
		caps.message = "bwrap found (v" + caps.version + ") but no uid mode is available (setpriv: " + firstLine(setprivError)
			+ "; userns: " + firstLine(usernsError) + ")";
	}
	return caps;
}


} } // namespace execd::isolation
