#include "ProcessTree.h"
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <algorithm>
#include <map>
#include <string>
#include <sys/wait.h>
#include <unistd.h>


namespace execd {


namespace ProcessTree {


namespace {


bool statOf(pid_t pid, pid_t& parent, pid_t& group)
{
	char path[64];
	std::snprintf(path, sizeof(path), "/proc/%d/stat", static_cast<int>(pid));
	FILE* f = std::fopen(path, "re");
	if (!f) return false;
	char buffer[1024];
	size_t n = std::fread(buffer, 1, sizeof(buffer) - 1, f);
	std::fclose(f);
	buffer[n] = '\0';
	// The command name may contain spaces and parentheses: parse after the last ')'.
	char* p = std::strrchr(buffer, ')');
	if (!p) return false;
	char state = 0;
	int ppid = 0;
	int pgrp = 0;
	if (std::sscanf(p + 1, " %c %d %d", &state, &ppid, &pgrp) != 3) return false;
	if (state == 'Z' || state == 'X') return false;
	parent = static_cast<pid_t>(ppid);
	group = static_cast<pid_t>(pgrp);
	return true;
}


} // namespace


std::vector<pid_t> descendants(pid_t root, std::vector<pid_t>* pGroups)
{
	std::multimap<pid_t, pid_t> children;
	std::map<pid_t, pid_t> groups;
	DIR* dir = ::opendir("/proc");
	if (!dir) return {};
	while (struct dirent* entry = ::readdir(dir))
	{
		char* end = nullptr;
		long pid = std::strtol(entry->d_name, &end, 10);
		if (!end || *end != '\0' || pid <= 0) continue;
		pid_t parent = 0;
		pid_t group = 0;
		if (statOf(static_cast<pid_t>(pid), parent, group))
		{
			children.emplace(parent, static_cast<pid_t>(pid));
			groups[static_cast<pid_t>(pid)] = group;
		}
	}
	::closedir(dir);

	std::vector<pid_t> result;
	std::vector<pid_t> pending{root};
	while (!pending.empty())
	{
		pid_t p = pending.back();
		pending.pop_back();
		auto range = children.equal_range(p);
		for (auto it = range.first; it != range.second; ++it)
		{
			result.push_back(it->second);
			pending.push_back(it->second);
		}
	}
	if (pGroups)
	{
		pid_t own = ::getpgrp();
		for (pid_t pid: result)
		{
			pid_t group = groups[pid];
			if (group > 0 && group != own && std::find(pGroups->begin(), pGroups->end(), group) == pGroups->end())
				pGroups->push_back(group);
		}
	}
	return result;
}


int killDescendants(pid_t root)
{
	int count = 0;
	// Repeat: a dying child's children are reparented (to us, if we are a
	// subreaper or PID 1) and need a second look.
	for (int round = 0; round < 5; ++round)
	{
		std::vector<pid_t> groups;
		std::vector<pid_t> pids = descendants(root, &groups);
		if (pids.empty()) break;
		// Whole process groups first (a command's group holds processes that may
		// already have been reparented away from us), then each descendant.
		for (pid_t group: groups)
			::kill(-group, SIGKILL);
		for (pid_t pid: pids)
		{
			if (::kill(pid, SIGKILL) == 0) ++count;
		}
		while (::waitpid(-1, nullptr, WNOHANG) > 0)
		{
		}
		::usleep(10000);
	}
	while (::waitpid(-1, nullptr, WNOHANG) > 0)
	{
	}
	return count;
}


} // namespace ProcessTree


} // namespace execd
