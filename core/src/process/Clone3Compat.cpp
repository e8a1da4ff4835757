#include "process/Clone3Compat.h"
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>
#include <algorithm>
#include <seccomp.h>
#include <unistd.h>


extern char** environ;


namespace execd {


namespace {


[[noreturn]] void die(const std::string& message)
{
	std::fprintf(stderr, "execd: %s\n", message.c_str());
	std::exit(1);
}


void installFilter()
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);   // also sets no_new_privs
	if (!ctx) die("clone3 compat: seccomp_init failed");
	int rc = 0;
	// Syscalls of a foreign architecture are let through untouched, as upstream does.
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW)) != 0
		|| (rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1)) != 0
		|| (rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) != 0
		|| (rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0)) != 0
		|| (rc = seccomp_load(ctx)) != 0)
	{
		seccomp_release(ctx);
		die(std::string("clone3 compat: cannot install the seccomp filter: ") + std::strerror(-rc));
	}
	seccomp_release(ctx);
}


std::string normalised(const char* raw)
{
	std::string value = raw ? raw : "";
	auto notSpace = [](unsigned char c) { return !std::isspace(c); };
	value.erase(value.begin(), std::find_if(value.begin(), value.end(), notSpace));
	value.erase(std::find_if(value.rbegin(), value.rend(), notSpace).base(), value.end());
	std::transform(value.begin(), value.end(), value.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
	return value;
}


} // namespace


int applyClone3Compat(char** argv)
{
	const char* raw = std::getenv("EXECD_CLONE3_COMPAT");
	std::string value = normalised(raw);
	if (value.empty() || value == "0" || value == "false" || value == "off" || value == "no")
		return 0;
	if (value == "1" || value == "true" || value == "yes" || value == "on")
	{
		installFilter();
		return 1;
	}
	if (value == "reexec")
	{
		const char* applied = std::getenv("_EXECD_CLONE3_COMPAT_APPLIED");
		if (applied && std::string(applied) == "1")
			return 1;   // inherited from the process that re-executed us
		installFilter();
		if (::setenv("_EXECD_CLONE3_COMPAT_APPLIED", "1", 1) != 0)
			die(std::string("clone3 compat: setenv failed: ") + std::strerror(errno));
		char path[4096];
		ssize_t n = ::readlink("/proc/self/exe", path, sizeof(path) - 1);
		if (n <= 0)
			die(std::string("clone3 compat: readlink /proc/self/exe failed: ") + std::strerror(errno));
		path[n] = '\0';
		std::string exe(path);
		const std::string deleted = " (deleted)";
		if (exe.size() > deleted.size() && exe.compare(exe.size() - deleted.size(), deleted.size(), deleted) == 0)
			exe.resize(exe.size() - deleted.size());
		// Started through a dynamic loader (dist/execd runs the bundled execd as
		// "ld.so --library-path ... execd args"), /proc/self/exe is the loader, and
		// only the whole original command line starts execd again.
		std::vector<std::string> line;
		const std::string name = exe.substr(exe.rfind('/') + 1);
		if (name.compare(0, 3, "ld-") == 0 && name.find(".so") != std::string::npos)
		{
			std::ifstream in("/proc/self/cmdline", std::ios::binary);
			std::string arg;
			while (std::getline(in, arg, '\0')) line.push_back(arg);
		}
		std::vector<char*> args;
		for (std::string& a: line) args.push_back(&a[0]);
		args.push_back(nullptr);
		::execve(exe.c_str(), line.empty() ? argv : args.data(), environ);
		die("clone3 compat: re-exec of " + exe + " failed: " + std::strerror(errno));
	}
	die("invalid EXECD_CLONE3_COMPAT=\"" + std::string(raw ? raw : "") + "\" (use 1, true, or reexec)");
}


} // namespace execd
