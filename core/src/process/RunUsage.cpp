#include "execd/RunUsage.h"
#include "execd/ResourceLimits.h"
#include "process/Cgroups.h"
#include <algorithm>
#include <atomic>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <unistd.h>
#include <sys/wait.h>


namespace execd {
namespace RunUsage {


namespace {


long highWaterKb(const std::string& statusFile);


long ownHighWaterKb()
{
	long kb = highWaterKb("/proc/self/status");
	return kb < 0 ? LONG_MAX : kb;   // unknown: nothing is reported
}


Poco::Int64 millis(const struct timeval& tv)
{
	return static_cast<Poco::Int64>(tv.tv_sec) * 1000 + tv.tv_usec / 1000;
}


bool processTimes(pid_t pid, Poco::Int64& userMillis, Poco::Int64& systemMillis)
	// utime + cutime and stime + cstime of /proc/<pid>/stat, in milliseconds.
{
	std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
	std::string line;
	if (!std::getline(in, line)) return false;
	std::size_t close = line.rfind(')');
	if (close == std::string::npos || close + 2 > line.size()) return false;
	// After the command's name: state (field 3) ... utime is field 14.
	std::istringstream fields(line.substr(close + 2));
	std::string field;
	unsigned long long v[15] = {};
	for (int i = 3; i <= 17 && fields >> field; ++i)
		if (i >= 14) v[i - 14] = std::strtoull(field.c_str(), nullptr, 10);
	if (!fields) return false;
	static const long ticks = ::sysconf(_SC_CLK_TCK);
	if (ticks <= 0) return false;
	userMillis = static_cast<Poco::Int64>((v[0] + v[2]) * 1000 / static_cast<unsigned long long>(ticks));
	systemMillis = static_cast<Poco::Int64>((v[1] + v[3]) * 1000 / static_cast<unsigned long long>(ticks));
	return true;
}


long highWaterKb(const std::string& statusFile)
{
	std::ifstream in(statusFile);
	for (std::string line; std::getline(in, line);)
		if (line.compare(0, 6, "VmHWM:") == 0) return std::atol(line.c_str() + 6);
	return -1;
}


std::atomic<bool> stopping{false};


std::string counterFile()
{
	// Where execd's memory cgroup counts its OOM kills: v1's memory controller
	// where it has one (hybrid hierarchies), else the unified hierarchy.
	const std::map<std::string, std::string> groups = Cgroups::ownGroups();
	auto memory = groups.find("memory");
	if (memory != groups.end()) return "/sys/fs/cgroup/memory" + memory->second + "/memory.oom_control";
	auto unified = groups.find("");
	return unified != groups.end() ? "/sys/fs/cgroup" + unified->second + "/memory.events" : std::string();
}


} // namespace


std::optional<std::uint64_t> oomKills()
{
	// Cgroups forgets execd's groups when execd moves (into a leaf of its
	// cgroup v2 group, when it first creates a ResourceGroup there).
	const std::string file = counterFile();
	if (file.empty()) return std::nullopt;
	return Cgroups::counter(file, "oom_kill");
}


std::optional<std::uint64_t> oomKills(const ResourceGroup* pGroup)
{
	if (pGroup)
	{
		std::optional<std::uint64_t> own = pGroup->oomKills();
		if (own) return own;
	}
	return oomKills();
}


void markOomKill(RunOutcome& outcome, std::optional<std::uint64_t> oomKillsBefore, const ResourceGroup* pGroup)
{
	if (!pGroup || !oomKillsBefore || outcome.reason != "exited" || outcome.exitCode != 128 + SIGKILL) return;
	std::optional<std::uint64_t> after = pGroup->oomKills();
	if (after && *after > *oomKillsBefore)
	{
		outcome.reason = "oom_killed";
		outcome.signal = signalName(SIGKILL);
		outcome.exitCode.reset();   // as for every reason but exited
	}
}


bool kernelReportsOomKill(pid_t pid)
{
	int fd = ::open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) return false;
	const std::string needle = "Killed process " + std::to_string(pid) + " ";
	bool found = false;
	char record[8192];
	for (int i = 0; i < 16384 && !found; ++i)
	{
		ssize_t n = ::read(fd, record, sizeof(record) - 1);
		if (n < 0 && errno == EPIPE) continue;   // overwritten while we read: the next one
		if (n <= 0) break;
		record[n] = '\0';
		found = std::strstr(record, needle.c_str()) != nullptr;
	}
	::close(fd);
	return found;
}


std::string signalName(int signal)
{
	switch (signal)
	{
	case SIGHUP: return "SIGHUP";
	case SIGINT: return "SIGINT";
	case SIGQUIT: return "SIGQUIT";
	case SIGILL: return "SIGILL";
	case SIGTRAP: return "SIGTRAP";
	case SIGABRT: return "SIGABRT";
	case SIGBUS: return "SIGBUS";
	case SIGFPE: return "SIGFPE";
	case SIGKILL: return "SIGKILL";
	case SIGUSR1: return "SIGUSR1";
	case SIGSEGV: return "SIGSEGV";
	case SIGUSR2: return "SIGUSR2";
	case SIGPIPE: return "SIGPIPE";
	case SIGALRM: return "SIGALRM";
	case SIGTERM: return "SIGTERM";
	case SIGXCPU: return "SIGXCPU";
	case SIGXFSZ: return "SIGXFSZ";
	case SIGSYS: return "SIGSYS";
	default: return "SIG" + std::to_string(signal);
	}
}


RunOutcome fromWait(int waitStatus, const struct rusage* pUsage, std::optional<std::uint64_t> oomKillsBefore, pid_t pid, const ResourceGroup* pGroup)
{
	RunOutcome outcome;
	if (WIFEXITED(waitStatus))
	{
		outcome.reason = "exited";
		outcome.exitCode = WEXITSTATUS(waitStatus);
		markOomKill(outcome, oomKillsBefore, pGroup);
	}
	else if (WIFSIGNALED(waitStatus))
	{
		const int signal = WTERMSIG(waitStatus);
		outcome.reason = "signaled";
		outcome.signal = signalName(signal);
		if (signal == SIGKILL)
		{
			std::optional<std::uint64_t> after = oomKillsBefore ? oomKills(pGroup) : std::nullopt;
			if (oomKillsBefore && after ? *after > *oomKillsBefore : kernelReportsOomKill(pid))
				outcome.reason = "oom_killed";
		}
	}
	else
	{
		outcome.reason = "exited";   // no status (someone else reaped it): nothing better is known
	}
	if (pUsage)
	{
		outcome.cpuUserMillis = millis(pUsage->ru_utime);
		outcome.cpuSystemMillis = millis(pUsage->ru_stime);
		// Linux carries the peak of the process a child was forked from (execd's
		// memory, VmHWM) into the child's at its exec: a peak no larger than that
		// says nothing about the run's, and is left out. execd's own ru_maxrss is
		// at least its VmHWM (it carries its parent's the same way), so above it
		// nothing more needs to be read.
		struct rusage self;
		const long peak = pUsage->ru_maxrss;
		if ((::getrusage(RUSAGE_SELF, &self) == 0 && peak > self.ru_maxrss) || peak > ownHighWaterKb())
			outcome.maxRssKb = static_cast<Poco::Int64>(peak);
	}
	return outcome;
}


void setDaemonStopping()
{
	stopping = true;
}


bool daemonStopping()
{
	return stopping;
}


} // namespace RunUsage


RunMeter::RunMeter(pid_t pid, const ResourceGroup* pGroup):
	_pid(pid),
	_pGroup(pGroup),
	_oomKillsBefore(RunUsage::oomKills(pGroup))
{
	if (_pid <= 0) return;
	Poco::Int64 user = 0, system = 0;
	if (RunUsage::processTimes(_pid, user, system))
	{
		_userBefore = user;
		_systemBefore = system;
	}
	// "5" resets the peak RSS (VmHWM) to the current RSS (Linux 4.0 and later).
	int fd = ::open(("/proc/" + std::to_string(_pid) + "/clear_refs").c_str(), O_WRONLY | O_CLOEXEC);
	if (fd >= 0)
	{
		_peakReset = ::write(fd, "5", 1) == 1;
		::close(fd);
	}
}


pid_t RunMeter::pid() const
{
	return _pid;
}


RunOutcome RunMeter::completed(bool failed) const
{
	RunOutcome outcome;
	outcome.reason = "exited";
	outcome.exitCode = failed ? 1 : 0;
	Poco::Int64 user = 0, system = 0;
	if (_userBefore && RunUsage::processTimes(_pid, user, system))
	{
		outcome.cpuUserMillis = std::max<Poco::Int64>(user - *_userBefore, 0);
		outcome.cpuSystemMillis = std::max<Poco::Int64>(system - *_systemBefore, 0);
	}
	if (_peakReset)
	{
		long kb = RunUsage::highWaterKb("/proc/" + std::to_string(_pid) + "/status");
		if (kb >= 0) outcome.maxRssKb = kb;
	}
	return outcome;
}


RunOutcome RunMeter::died(std::optional<int> waitStatus, const struct rusage* pUsage) const
{
	RunOutcome outcome;
	if (waitStatus)
	{
		outcome = RunUsage::fromWait(*waitStatus, pUsage, _oomKillsBefore, _pid, _pGroup);
		if (outcome.cpuUserMillis && _userBefore)
		{
			outcome.cpuUserMillis = std::max<Poco::Int64>(*outcome.cpuUserMillis - *_userBefore, 0);
			outcome.cpuSystemMillis = std::max<Poco::Int64>(*outcome.cpuSystemMillis - *_systemBefore, 0);
		}
		else
		{
			outcome.cpuUserMillis.reset();
			outcome.cpuSystemMillis.reset();
		}
		// wait4's peak is the larger of the process's own, which its threads'
		// exits update from before the reset, and its children's, earlier runs'
		// ones included: not the run's.
		outcome.maxRssKb.reset();
		return outcome;
	}
	std::optional<std::uint64_t> after = _oomKillsBefore ? RunUsage::oomKills(_pGroup) : std::nullopt;
	const bool oom = _oomKillsBefore && after ? *after > *_oomKillsBefore : (_pid > 0 && RunUsage::kernelReportsOomKill(_pid));
	outcome.reason = oom ? "oom_killed" : "signaled";
	if (oom) outcome.signal = "SIGKILL";
	return outcome;
}


} // namespace execd
