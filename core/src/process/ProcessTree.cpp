#include "process/ProcessTree.h"
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


struct Entry
{
	pid_t pid = 0;
	pid_t parent = 0;
	pid_t group = 0;
	char state = 0;
	unsigned long long started = 0;
};


bool statOf(pid_t pid, Entry& entry)
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
	// Fields 3 to 22: state ppid pgrp session tty_nr tpgid flags minflt cminflt
	// majflt cmajflt utime stime cutime cstime priority nice num_threads
	// itrealvalue starttime.
	char* p = std::strrchr(buffer, ')');
	if (!p) return false;
	int ppid = 0;
	int pgrp = 0;
	if (std::sscanf(p + 1, " %c %d %d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
			&entry.state, &ppid, &pgrp, &entry.started) != 4)
		return false;
	if (entry.state == 'Z' || entry.state == 'X') return false;
	entry.pid = pid;
	entry.parent = static_cast<pid_t>(ppid);
	entry.group = static_cast<pid_t>(pgrp);
	return true;
}


std::multimap<pid_t, Entry> byParent()
	/// Every live process in /proc, by its parent.
{
	std::multimap<pid_t, Entry> children;
	DIR* dir = ::opendir("/proc");
	if (!dir) return children;
	while (struct dirent* entry = ::readdir(dir))
	{
		char* end = nullptr;
		long pid = std::strtol(entry->d_name, &end, 10);
		if (!end || *end != '\0' || pid <= 0) continue;
		Entry e;
		if (statOf(static_cast<pid_t>(pid), e)) children.emplace(e.parent, e);
	}
	::closedir(dir);
	return children;
}


std::vector<Entry> childrenOf(pid_t parent)
	/// The live children of parent, from one look at /proc (every thread's).
{
	std::vector<Entry> result;
	auto children = byParent();
	auto range = children.equal_range(parent);
	for (auto it = range.first; it != range.second; ++it) result.push_back(it->second);
	return result;
}


std::vector<Entry> subtree(pid_t root, const std::vector<Process::Identity>& spared = {})
	/// Every live descendant of root, parents before children; a spared process
	/// and what is below it are left out.
{
	auto children = byParent();
	std::vector<Entry> result;
	std::vector<pid_t> pending{root};
	while (!pending.empty())
	{
		pid_t p = pending.back();
		pending.pop_back();
		auto range = children.equal_range(p);
		for (auto it = range.first; it != range.second; ++it)
		{
			const Entry& e = it->second;
			if (std::binary_search(spared.begin(), spared.end(), Process::Identity{e.pid, e.started})) continue;
			result.push_back(e);
			pending.push_back(e.pid);
		}
	}
	return result;
}

} // namespace


std::vector<pid_t> descendants(pid_t root, std::vector<pid_t>* pGroups)
{
	std::vector<pid_t> result;
	const pid_t own = ::getpgrp();
	for (const Entry& e: subtree(root))
	{
		result.push_back(e.pid);
		if (pGroups && e.group > 0 && e.group != own && std::find(pGroups->begin(), pGroups->end(), e.group) == pGroups->end())
			pGroups->push_back(e.group);
	}
	return result;
}


std::vector<pid_t> children(pid_t parent)
{
	std::vector<pid_t> result;
	for (const Entry& e: childrenOf(parent)) result.push_back(e.pid);
	return result;
}


std::vector<Process::Identity> descendantIdentities(pid_t root)
{
	std::vector<Process::Identity> result;
	for (const Entry& e: subtree(root))
		result.push_back(Process::Identity{e.pid, e.started});
	std::sort(result.begin(), result.end());
	return result;
}


std::vector<Process::Identity> groupIdentities(pid_t group)
{
	std::vector<Process::Identity> result;
	if (::kill(-group, 0) != 0) return result;   // no member left: no scan
	for (const auto& kv: byParent())
	{
		if (kv.second.group == group) result.push_back(Process::Identity{kv.second.pid, kv.second.started});
	}
	std::sort(result.begin(), result.end());
	return result;
}


bool isAlive(const Process::Identity& identity)
{
	Entry e;
	return statOf(identity.pid, e) && e.started == identity.started;
}


std::vector<Process::Identity> childIdentities(pid_t parent)
{
	char path[64];
	std::snprintf(path, sizeof(path), "/proc/%d/task/%d/children", static_cast<int>(parent), static_cast<int>(parent));
	FILE* f = std::fopen(path, "re");
	std::vector<Process::Identity> result;
	if (!f)
	{
		for (const Entry& e: childrenOf(parent)) result.push_back(Process::Identity{e.pid, e.started});
		std::sort(result.begin(), result.end());
		return result;
	}
	int pid = 0;
	while (std::fscanf(f, "%d", &pid) == 1)
	{
		Entry e;
		if (statOf(static_cast<pid_t>(pid), e) && e.parent == parent) result.push_back(Process::Identity{e.pid, e.started});
	}
	std::fclose(f);
	std::sort(result.begin(), result.end());
	return result;
}


std::vector<pid_t> freezeDescendants(pid_t root, const std::vector<Process::Identity>& spared)
{
	std::vector<Process::Identity> sorted(spared);
	std::sort(sorted.begin(), sorted.end());
	std::vector<pid_t> stopped;
	// A process stopped here cannot fork any more, but one may have forked just
	// before: look until a look finds nothing new. The bound only guards against
	// a pid table that changes under us for ever.
	for (int round = 0; round < 64; ++round)
	{
		bool found = false;
		for (const Entry& e: subtree(root, sorted))
		{
			if (std::find(stopped.begin(), stopped.end(), e.pid) != stopped.end()) continue;
			if (::kill(e.pid, SIGSTOP) == 0)
			{
				stopped.push_back(e.pid);
				found = true;
			}
		}
		if (!found) break;
	}
	return stopped;
}


bool waitUntilStopped(pid_t pid, int timeoutMillis)
{
	for (int waited = 0; ; ++waited)
	{
		Entry e;
		if (!statOf(pid, e)) return false;
		if (e.state == 'T' || e.state == 't') return true;
		if (waited >= timeoutMillis) return false;
		::usleep(1000);
	}
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
