#include "OrphanReaper.h"
#include "execd/Process.h"
#include <cerrno>
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
		pid_t pid = info.si_pid;
		bool mine = false;
		{
			// Wait for spawns in flight: their children are registered before the
			// guard is released.
			std::unique_lock<std::shared_mutex> spawning(spawnMutex);
			std::lock_guard<std::mutex> lock(ownedMutex);
			mine = owned.count(pid) == 0;
		}
		if (mine)
		{
			::waitpid(pid, nullptr, WNOHANG);
			continue;
		}
		// A module's child: its owner reaps it soon; do not spin on it.
		std::unique_lock<std::mutex> lock(ownedMutex);
		ownedChanged.wait_for(lock, std::chrono::milliseconds(50), [pid] { return owned.count(pid) == 0; });
	}
}


} // namespace execd
