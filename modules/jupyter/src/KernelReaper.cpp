#include "KernelReaper.h"
#include "execd/Process.h"
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <dirent.h>
#include <fstream>
#include <iterator>
#include <thread>
#include <unistd.h>


namespace execd {
namespace jupyter {


namespace {


std::string procFile(pid_t pid, const char* name)
{
	std::ifstream in("/proc/" + std::to_string(pid) + "/" + name);
	return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}


} // namespace


int KernelReaper::killLeftovers(const std::string& runtimeDir)
{
	// Several rounds, as killing a process reparents its children.
	int killed = 0;
	for (int round = 0; round < 3; ++round)
	{
		std::vector<pid_t> pids = leftovers(runtimeDir);
		if (pids.empty()) break;
		for (pid_t pid: pids)
		{
			::kill(-pid, SIGKILL);   // a kernel leads its own process group
			if (::kill(pid, SIGKILL) == 0) ++killed;
		}
		std::this_thread::sleep_for(std::chrono::milliseconds(20));
	}
	return killed;
}


std::vector<pid_t> KernelReaper::leftovers(const std::string& runtimeDir)
{
	// Kernels: their command line names a connection file in the runtime
	// directory. Anything else the server started has the variable.
	std::vector<pid_t> found;
	const std::string variable = std::string("JUPYTER_RUNTIME_DIR=") + runtimeDir + '\0';
	const std::string connectionFile = runtimeDir + "/kernel-";
	DIR* dir = ::opendir("/proc");
	if (!dir) return found;
	while (struct dirent* entry = ::readdir(dir))
	{
		pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
		if (pid <= 0 || pid == ::getpid()) continue;
		if (procFile(pid, "cmdline").find(connectionFile) != std::string::npos
			|| ('\0' + procFile(pid, "environ")).find('\0' + variable) != std::string::npos)
			found.push_back(pid);
	}
	::closedir(dir);
	std::size_t roots = found.size();
	for (std::size_t i = 0; i < roots; ++i)
	{
		for (pid_t child: Process::descendants(found[i]))
		{
			if (std::find(found.begin(), found.end(), child) == found.end()) found.push_back(child);
		}
	}
	return found;
}


} } // namespace execd::jupyter
