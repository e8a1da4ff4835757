#include "KernelProcess.h"
#include <cstdlib>
#include <dirent.h>
#include <fstream>
#include <iterator>


namespace execd {
namespace jupyter {


void KernelProcess::find(const std::string& kernelId)
{
	if (_pid != 0) return;
	DIR* dir = ::opendir("/proc");
	if (!dir) return;
	const std::string needle = "kernel-" + kernelId + ".json";
	while (struct dirent* entry = ::readdir(dir))
	{
		int pid = std::atoi(entry->d_name);
		if (pid <= 0) continue;
		std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
		std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
		if (cmdline.find(needle) != std::string::npos)
		{
			_pid = pid;
			break;
		}
	}
	::closedir(dir);
}


bool KernelProcess::gone() const
{
	if (_pid <= 0) return false;
	std::ifstream in("/proc/" + std::to_string(_pid) + "/stat");
	std::string line;
	if (!std::getline(in, line)) return true;
	std::size_t close = line.rfind(')');
	return close == std::string::npos || close + 2 >= line.size() || line[close + 2] == 'Z' || line[close + 2] == 'X';
}


pid_t KernelProcess::pid() const
{
	return _pid;
}


void KernelProcess::forget()
{
	_pid = 0;
}


} } // namespace execd::jupyter
