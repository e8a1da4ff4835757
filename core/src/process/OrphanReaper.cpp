#include "process/OrphanReaper.h"
#include "execd/Process.h"
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <vector>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>


namespace execd {


namespace {


std::shared_mutex spawnMutex;
std::mutex ownedMutex;
std::condition_variable ownedChanged;
std::set<pid_t> owned;


std::vector<pid_t> zombieChildren()
{
	std::vector<pid_t> result;
	const pid_t self = ::getpid();
	DIR* dir = ::opendir("/proc");
	if (!dir) return result;
	while (struct dirent* entry = ::readdir(dir))
	{
		char* end = nullptr;
		long pid = std::strtol(entry->d_name, &end, 10);
		if (!end || *end != '\0' || pid <= 0) continue;
		char path[64];
		std::snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		FILE* f = std::fopen(path, "re");
		if (!f) continue;
		char buffer[512];
		std::size_t n = std::fread(buffer, 1, sizeof(buffer) - 1, f);
		std::fclose(f);
		buffer[n] = '\0';
		char* p = std::strrchr(buffer, ')');
		char state = 0;
		int ppid = 0;
		if (p && std::sscanf(p + 1, " %c %d", &state, &ppid) == 2 && state == 'Z' && ppid == self)
			result.push_back(static_cast<pid_t>(pid));
	}
	::closedir(dir);
	return result;
}


} // namespace


namespace Process {


SpawnGuard::SpawnGuard()
{
	spawnMutex.lock_shared();
}


SpawnGuard::~SpawnGuard()
{
	spawnMutex.unlock_shared();
}


void own(pid_t pid)
{
	std::lock_guard<std::mutex> lock(ownedMutex);
	owned.insert(pid);
}


void disown(pid_t pid)
{
	{
		std::lock_guard<std::mutex> lock(ownedMutex);
		owned.erase(pid);
	}
	ownedChanged.notify_all();
}


} // namespace Process


OrphanReaper::OrphanReaper():
	_thread([this] { run(); })
{
}


OrphanReaper::~OrphanReaper()
{
	_stop = true;
	_thread.join();
}


bool OrphanReaper::needed()
{
	int subreaper = 0;
	::prctl(PR_GET_CHILD_SUBREAPER, &subreaper, 0, 0, 0);
	return ::getpid() == 1 || subreaper != 0;
}


void OrphanReaper::run()
{
	while (!_stop)
	{
		siginfo_t info{};
		// Peek without reaping; poll so that the thread can stop.
		if (::waitid(P_ALL, 0, &info, WEXITED | WNOWAIT | WNOHANG) != 0 || info.si_pid == 0)
		{
			std::this_thread::sleep_for(std::chrono::milliseconds(100));
			continue;
		}
		// Some child is waitable, but waitid may keep naming the same one, which a
		// module owns and will reap: look at every zombie child instead.
		int reaped = 0;
		{
			// Wait for spawns in flight: their children are registered before the
			// guard is released.
			std::unique_lock<std::shared_mutex> spawning(spawnMutex);
			for (pid_t pid: zombieChildren())
			{
				bool mine;
				{
					std::lock_guard<std::mutex> lock(ownedMutex);
					mine = owned.count(pid) == 0;
				}
				if (mine && ::waitpid(pid, nullptr, WNOHANG) == pid) ++reaped;
			}
		}
		if (reaped == 0)
		{
			// Only owned children are waiting; their owners reap them soon.
			std::unique_lock<std::mutex> lock(ownedMutex);
			ownedChanged.wait_for(lock, std::chrono::milliseconds(50));
		}
	}
}


} // namespace execd
