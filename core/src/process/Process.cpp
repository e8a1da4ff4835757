#include "execd/Process.h"
#include "process/ProcessTree.h"
#include <csignal>


namespace execd {


namespace Process {


void resetSignalsInChild()
{
	sigset_t none;
	sigemptyset(&none);
	for (int sig = 1; sig < NSIG; ++sig)
	{
		if (sig == SIGKILL || sig == SIGSTOP) continue;
		struct sigaction action;
		action.sa_handler = SIG_DFL;
		action.sa_flags = 0;
		sigemptyset(&action.sa_mask);
		::sigaction(sig, &action, nullptr);
	}
	::sigprocmask(SIG_SETMASK, &none, nullptr);
}


std::vector<pid_t> descendants(pid_t root)
{
	return ProcessTree::descendants(root);
}


std::vector<Identity> descendantIdentities(pid_t root)
{
	return ProcessTree::descendantIdentities(root);
}


std::vector<Identity> childIdentities(pid_t parent)
{
	return ProcessTree::childIdentities(parent);
}


std::vector<Identity> groupIdentities(pid_t group)
{
	return ProcessTree::groupIdentities(group);
}


bool isAlive(const Identity& identity)
{
	return ProcessTree::isAlive(identity);
}


std::vector<pid_t> freezeDescendants(pid_t root, const std::vector<Identity>& spared)
{
	return ProcessTree::freezeDescendants(root, spared);
}


bool waitUntilStopped(pid_t pid, int timeoutMillis)
{
	return ProcessTree::waitUntilStopped(pid, timeoutMillis);
}


int setSpawnGroupAndSignals(posix_spawnattr_t& attributes)
{
	int rc = setSpawnSignalDefaults(attributes);
	short flags = 0;
	if (rc == 0) rc = posix_spawnattr_getflags(&attributes, &flags);
	if (rc == 0) rc = posix_spawnattr_setpgroup(&attributes, 0);
	if (rc == 0) rc = posix_spawnattr_setflags(&attributes, static_cast<short>(flags | POSIX_SPAWN_SETPGROUP));
	return rc;
}


int setSpawnSignalDefaults(posix_spawnattr_t& attributes)
{
	sigset_t none;
	sigset_t all;
	sigemptyset(&none);
	sigfillset(&all);
	short flags = 0;
	int rc = posix_spawnattr_getflags(&attributes, &flags);
	if (rc == 0) rc = posix_spawnattr_setsigmask(&attributes, &none);
	if (rc == 0) rc = posix_spawnattr_setsigdefault(&attributes, &all);
	if (rc == 0) rc = posix_spawnattr_setflags(&attributes, static_cast<short>(flags | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF));
	return rc;
}


} // namespace Process


} // namespace execd
