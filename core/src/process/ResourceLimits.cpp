#include "execd/ResourceLimits.h"
#include "execd/ApiException.h"
#include "execd/Capabilities.h"
#include "execd/Http.h"
#include "process/Cgroups.h"
#include "Poco/Logger.h"
#include "Poco/String.h"
#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <map>
#include <sched.h>
#include <sstream>
#include <thread>
#include <unistd.h>
#include <sys/stat.h>


namespace execd {


namespace {


const char* const CONTROLLERS[] = {"memory", "pids", "cpu"};


[[noreturn]] void invalid(const std::string& prefix, const std::string& member, const std::string& want)
{
	throw ApiException::badRequest(prefix + "limits." + member + " must be " + want);
}


Poco::UInt64 integer(const Poco::Dynamic::Var& value, const std::string& prefix, const std::string& member, Poco::UInt64 min, Poco::UInt64 max, std::string range = "")
{
	if (range.empty()) range = "an integer from " + std::to_string(min) + " to " + std::to_string(max);
	if (!value.isInteger() || value.isBoolean()) invalid(prefix, member, range);
	if (value.isSigned() && value.convert<Poco::Int64>() < 0) invalid(prefix, member, range);
	const Poco::UInt64 n = value.convert<Poco::UInt64>();
	if (n < min || n > max) invalid(prefix, member, range);
	return n;
}


std::optional<Poco::UInt64> size(const std::string& text)
	// "100M", "512Mi", "1G", "4096", "64KB": powers of 1024.
{
	std::size_t i = 0;
	Poco::UInt64 n = 0;
	for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i)
	{
		if (n > (Poco::UInt64(1) << 54)) return std::nullopt;
		n = n * 10 + static_cast<Poco::UInt64>(text[i] - '0');
	}
	if (i == 0 || text.back() == 'b') return std::nullopt;   // "100Mb" would be megabits
	std::string unit = Poco::toUpper(text.substr(i));
	if (!unit.empty() && unit.back() == 'B') unit.pop_back();
	if (unit.size() == 2 && unit[1] == 'I') unit.pop_back();
	int shift = 0;
	if (unit.empty()) shift = 0;
	else if (unit == "K") shift = 10;
	else if (unit == "M") shift = 20;
	else if (unit == "G") shift = 30;
	else if (unit == "T") shift = 40;
	else return std::nullopt;
	if (n > (Poco::UInt64(1) << (60 - shift))) return std::nullopt;
	return n << shift;
}


std::string readFile(const std::string& path)
{
	std::ifstream in(path);
	std::ostringstream text;
	text << in.rdbuf();
	return text.str();
}


int writeFile(const std::string& path, const std::string& text)
	// 0 or an errno value: the cgroup files take one write(2) each.
{
	int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
	if (fd < 0) return errno;
	ssize_t n = ::write(fd, text.data(), text.size());
	int err = n == static_cast<ssize_t>(text.size()) ? 0 : (n < 0 ? errno : EIO);
	::close(fd);
	return err;
}


std::set<std::string> words(const std::string& text)
{
	std::istringstream in(text);
	std::set<std::string> result;
	for (std::string w; in >> w;) result.insert(w);
	return result;
}


std::string unescape(const std::string& field)
	// mountinfo writes space, tab, newline and backslash as \040 and so on.
{
	std::string out;
	for (std::size_t i = 0; i < field.size(); ++i)
	{
		if (field[i] == '\\' && i + 3 < field.size())
		{
			const std::string digits = field.substr(i + 1, 3);
			if (std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '7'; }))
			{
				out += static_cast<char>(std::stoi(digits, nullptr, 8));
				i += 3;
				continue;
			}
		}
		out += field[i];
	}
	return out;
}


struct Mount
{
	std::string root;         ///< the part of the hierarchy mounted
	std::string point;
	std::string type;         ///< cgroup or cgroup2
	std::set<std::string> options;   ///< v1: the controllers
};


std::vector<Mount> cgroupMounts()
{
	std::vector<Mount> result;
	std::ifstream in("/proc/self/mountinfo");
	for (std::string line; std::getline(in, line);)
	{
		// id parent major:minor root point options [optional...] - type source super-options
		std::istringstream fields(line);
		std::string id, parent, device, root, point, options;
		if (!(fields >> id >> parent >> device >> root >> point >> options)) continue;
		std::string f;
		while (fields >> f && f != "-")
		{
		}
		std::string type, source, super;
		if (!(fields >> type >> source >> super)) continue;
		if (type != "cgroup" && type != "cgroup2") continue;
		Mount m{unescape(root), unescape(point), type, {}};
		std::istringstream list(super);
		for (std::string o; std::getline(list, o, ',');) m.options.insert(o);
		result.push_back(std::move(m));
	}
	return result;
}


std::optional<std::string> directoryOf(const Mount& mount, const std::string& group)
	// Where group is in the file system, when the mount shows it.
{
	std::string relative;
	if (mount.root == "/") relative = group;
	else if (group == mount.root) relative = "/";
	else if (group.compare(0, mount.root.size() + 1, mount.root + "/") == 0) relative = group.substr(mount.root.size());
	else return std::nullopt;
	std::string dir = mount.point + (relative == "/" ? "" : relative);
	return dir;
}


bool writable(const std::string& dir)
{
	return ::access(dir.c_str(), W_OK) == 0 && ::access((dir + "/cgroup.procs").c_str(), W_OK) == 0;
}


struct Tree
	/// Support, and where each controller's groups go.
{
	ResourceGroup::Support support;
	std::map<std::string, std::string> directories;   ///< v1: controller -> execd's group; v2: "" -> it
	int childOomScoreAdj = 500;
};


Tree probe()
{
	Tree tree;
	const std::vector<Mount> mounts = cgroupMounts();
	const std::map<std::string, std::string> groups = Cgroups::ownGroups();
	std::string missing;
	// cgroup v2, where it has the controllers (not on hybrid hierarchies, whose
	// unified tree is empty).
	auto v2 = groups.find("");
	for (const Mount& m: mounts)
	{
		if (m.type != "cgroup2" || v2 == groups.end()) continue;
		std::optional<std::string> dir = directoryOf(m, v2->second);
		if (!dir) continue;
		// An execd before this one moved itself into the leaf: its parent holds the groups.
		const std::string leaf = "/execd.daemon";
		if (dir->size() > leaf.size() && dir->compare(dir->size() - leaf.size(), leaf.size(), leaf) == 0)
			dir->erase(dir->size() - leaf.size());
		const std::set<std::string> offered = words(readFile(*dir + "/cgroup.controllers"));
		std::set<std::string> usable;
		for (const char* c: CONTROLLERS)
			if (offered.count(c)) usable.insert(c);
		if (usable.empty()) continue;
		tree.support.version = 2;
		if (!writable(*dir) || ::access((*dir + "/cgroup.subtree_control").c_str(), W_OK) != 0)
		{
			tree.support.reason = "the cgroup v2 group " + *dir + " is not writable (neither delegated nor root)";
			return tree;
		}
		tree.support.controllers = usable;
		tree.directories[""] = *dir;
		for (const char* c: CONTROLLERS)
			if (!usable.count(c)) missing += std::string(missing.empty() ? "" : ", ") + c;
		if (!missing.empty()) tree.support.reason = "the cgroup v2 group " + *dir + " is not given the controllers " + missing;
		break;
	}
	if (tree.support.version == 0)
	{
		// cgroup v1: a hierarchy of each controller's.
		for (const char* c: CONTROLLERS)
		{
			bool found = false;
			auto own = groups.find(c);
			for (const Mount& m: mounts)
			{
				if (m.type != "cgroup" || !m.options.count(c) || own == groups.end()) continue;
				std::optional<std::string> dir = directoryOf(m, own->second);
				if (dir && writable(*dir))
				{
					tree.directories[c] = *dir;
					tree.support.controllers.insert(c);
					found = true;
					break;
				}
			}
			if (!found) missing += std::string(missing.empty() ? "" : ", ") + c;
		}
		if (!tree.support.controllers.empty()) tree.support.version = 1;
		if (tree.support.controllers.empty())
			tree.support.reason = "no writable cgroup tree: neither a cgroup v2 group with the memory, pids or cpu controller nor writable cgroup v1 hierarchies";
		else if (!missing.empty())
			tree.support.reason = "no writable cgroup v1 hierarchy for " + missing;
	}
	int own = 0;
	std::ifstream adj("/proc/self/oom_score_adj");
	if (adj >> own) tree.childOomScoreAdj = std::min(1000, std::max(500, own + 500));
	return tree;
}


const Tree& tree()
{
	static const Tree t = probe();
	return t;
}


std::vector<pid_t> procs(const std::string& dir)
{
	std::vector<pid_t> result;
	std::ifstream in(dir + "/cgroup.procs");
	for (pid_t pid; in >> pid;) result.push_back(pid);
	return result;
}


std::mutex setupMutex;
bool v2Prepared = false;              ///< under setupMutex, as the two below
std::set<std::string> v2Enabled;      ///< the controllers base's children have
std::string v2Failure;                ///< why the others are not


void prepareV2(const std::string& base, const std::set<std::string>& controllers)
	// Hands the controllers to base's children, each on its own (one the kernel
	// refuses leaves the others). A group with processes cannot (the no
	// internal processes rule): execd, then every process of base, move into a
	// leaf, execd.daemon, first.
{
	std::lock_guard<std::mutex> lock(setupMutex);
	if (v2Prepared) return;
	const std::string leaf = base + "/execd.daemon";
	auto enable = [&](const std::string& c) -> int {
		if (words(readFile(base + "/cgroup.subtree_control")).count(c)) return 0;
		return writeFile(base + "/cgroup.subtree_control", "+" + c);
	};
	auto relocate = [&](int attempt) -> int {
		if (::mkdir(leaf.c_str(), 0755) != 0 && errno != EEXIST) return errno;
		if (attempt == 0) return writeFile(leaf + "/cgroup.procs", std::to_string(::getpid()));
		for (pid_t pid: procs(base)) writeFile(leaf + "/cgroup.procs", std::to_string(pid));
		return 0;
	};
	for (const std::string& c: controllers)
	{
		int err = enable(c);
		for (int attempt = 0; err == EBUSY && attempt < 2; ++attempt)
		{
			int moved = relocate(attempt);
			err = moved ? moved : enable(c);
		}
		if (err == 0)
			v2Enabled.insert(c);
		else
			v2Failure += std::string(v2Failure.empty() ? "" : "; ") + "cannot enable the " + c + " controller of the cgroup " + base + ": " + std::strerror(err);
	}
	if (::access(leaf.c_str(), F_OK) == 0)
	{
		Cgroups::moved();
		Poco::Logger::get("execd").information("resource limits: execd runs in the cgroup %s", leaf);
	}
	v2Prepared = true;
}


std::set<std::string> swept;   ///< the groups sweep() looked at, under setupMutex


void sweep(const std::string& dir)
	// Empty groups an execd that is gone left behind, "execd-<pid>-<n>". One
	// with processes is left alone: the owner's pid may be of another pid
	// namespace, and its processes live on as any orphan would.
{
	DIR* pDir = ::opendir(dir.c_str());
	if (!pDir) return;
	std::vector<std::string> stale;
	while (struct dirent* pEntry = ::readdir(pDir))
	{
		const std::string name = pEntry->d_name;
		if (name.compare(0, 6, "execd-") != 0) continue;
		const pid_t owner = static_cast<pid_t>(std::atol(name.c_str() + 6));
		if (owner > 0 && owner != ::getpid() && ::kill(owner, 0) != 0 && errno == ESRCH) stale.push_back(dir + "/" + name);
	}
	::closedir(pDir);
	for (const std::string& s: stale)
		if (procs(s).empty()) ::rmdir(s.c_str());
}


std::atomic<unsigned> counter{0};


} // namespace


bool ResourceLimits::empty() const
{
	return !memoryBytes && !cpuMillisPerSecond && !pids;
}


std::set<std::string> ResourceLimits::controllers() const
{
	std::set<std::string> result;
	if (memoryBytes) result.insert("memory");
	if (cpuMillisPerSecond) result.insert("cpu");
	if (pids) result.insert("pids");
	return result;
}


Poco::UInt64 ResourceLimits::maxCpuMillis()
{
	cpu_set_t set;
	CPU_ZERO(&set);
	int cpus = ::sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 0;
	if (cpus <= 0) cpus = static_cast<int>(std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN)));
	return static_cast<Poco::UInt64>(cpus) * 1000;
}


ResourceLimits ResourceLimits::fromJson(const JsonBody& body, const std::string& prefix)
{
	ResourceLimits limits;
	if (!body.has("limits")) return limits;
	Poco::JSON::Object::Ptr pObject;
	try
	{
		std::optional<JsonBody> object = body.getObject("limits");
		if (object) pObject = object->object();
	}
	catch (ApiException&)
	{
		throw ApiException::badRequest(prefix + "limits must be an object of memory_bytes, cpu_millis_per_s and pids");
	}
	if (!pObject) return limits;
	std::set<std::string> seen;
	for (const std::string& key: pObject->getNames())
	{
		const std::string name = Poco::toLower(key);
		if (name != "memory_bytes" && name != "cpu_millis_per_s" && name != "pids")
			throw ApiException::badRequest(prefix + "limits." + key + " is not a limit: memory_bytes, cpu_millis_per_s and pids are");
		if (!seen.insert(name).second)
			throw ApiException::badRequest(prefix + "limits." + name + " is given twice");
		const Poco::Dynamic::Var value = pObject->get(key);
		if (value.isEmpty()) continue;   // null: absent
		if (name == "memory_bytes")
		{
			const std::string range = "an integer from " + std::to_string(MIN_MEMORY_BYTES) + " to " + std::to_string(MAX_MEMORY_BYTES)
				+ " or a size such as \"100M\" or \"2G\"";
			if (value.isString())
			{
				std::optional<Poco::UInt64> n = size(value.extract<std::string>());
				if (!n || *n < MIN_MEMORY_BYTES || *n > MAX_MEMORY_BYTES) invalid(prefix, name, range);
				limits.memoryBytes = n;
			}
			else
			{
				limits.memoryBytes = integer(value, prefix, name, MIN_MEMORY_BYTES, MAX_MEMORY_BYTES, range);
			}
		}
		else if (name == "cpu_millis_per_s")
		{
			limits.cpuMillisPerSecond = integer(value, prefix, name, MIN_CPU_MILLIS, maxCpuMillis());
		}
		else
		{
			limits.pids = integer(value, prefix, name, 1, MAX_PIDS);
		}
	}
	return limits;
}


const ResourceGroup::Support& ResourceGroup::support()
{
	return tree().support;
}


void ResourceGroup::publish()
{
	const Support& s = support();
	Capabilities& c = Capabilities::instance();
	c.setFeature("resource_limits", !s.controllers.empty());
	std::string list;
	for (const char* name: CONTROLLERS)
		if (s.controllers.count(name)) list += std::string(list.empty() ? "" : ",") + name;
	c.setLimit("resourceLimits.cgroupVersion", s.version);
	c.setLimit("resourceLimits.controllers", list);
	if (!s.reason.empty()) c.setLimit("resourceLimits.unavailable", s.reason);
	c.setLimit("resourceLimits.minMemoryBytes", ResourceLimits::MIN_MEMORY_BYTES);
	c.setLimit("resourceLimits.maxMemoryBytes", ResourceLimits::MAX_MEMORY_BYTES);
	c.setLimit("resourceLimits.minCpuMillisPerSecond", ResourceLimits::MIN_CPU_MILLIS);
	c.setLimit("resourceLimits.maxCpuMillisPerSecond", ResourceLimits::maxCpuMillis());
	c.setLimit("resourceLimits.maxPids", ResourceLimits::MAX_PIDS);
	c.setLimit("resourceLimits.childOomScoreAdj", tree().childOomScoreAdj);
	Poco::Logger& logger = Poco::Logger::get("execd");
	if (list.empty())
		logger.information("resource limits: unavailable (%s)", s.reason);
	else
		logger.information("resource limits: cgroup v%d, %s%s", s.version, list, s.reason.empty() ? std::string() : "; " + s.reason);
}


ResourceGroup::ResourceGroup(const ResourceLimits& limits):
	_limits(limits),
	_name("execd-" + std::to_string(::getpid()) + "-" + std::to_string(++counter)),
	_version(tree().support.version)
{
}


ResourceGroup::Ptr ResourceGroup::create(const ResourceLimits& limits)
{
	if (limits.empty()) return nullptr;
	const Tree& t = tree();
	for (const std::string& c: limits.controllers())
	{
		if (!t.support.controllers.count(c))
		{
			throw ApiException::badRequest("resource limits are not available: no cgroup " + c + " controller execd can use ("
				+ t.support.reason + ")", ErrorCode::LIMITS_UNAVAILABLE);
		}
	}
	// Where the groups go: the v2 group, with every controller; or execd's group
	// in each v1 hierarchy, with the controllers mounted there (co-mounted ones
	// share one).
	std::map<std::string, std::set<std::string>> bases;
	if (t.support.version == 2)
	{
		const std::string& base = t.directories.at("");
		prepareV2(base, t.support.controllers);
		std::lock_guard<std::mutex> lock(setupMutex);
		for (const std::string& c: limits.controllers())
		{
			if (!v2Enabled.count(c))
				throw ApiException::badRequest("resource limits are not available: " + v2Failure, ErrorCode::LIMITS_UNAVAILABLE);
		}
		bases[base] = v2Enabled;
	}
	else
	{
		// A cpu group even without a CPU limit: the scheduler then weighs the
		// whole group as one against execd's threads, and a fork bomb of busy
		// loops cannot starve the daemon (group scheduling; under cgroup v2
		// every group has it, the controllers being enabled for all).
		std::set<std::string> controllers = limits.controllers();
		if (t.support.controllers.count("cpu")) controllers.insert("cpu");
		for (const std::string& c: controllers) bases[t.directories.at(c)].insert(c);
	}
	{
		std::lock_guard<std::mutex> lock(setupMutex);
		for (const auto& b: bases)
			if (swept.insert(b.first).second) sweep(b.first);
	}
	auto fail = [](const std::string& what, int err) {
		throw ApiException(500, ErrorCode::RUNTIME_ERROR, "cannot " + what + ": " + std::strerror(err));
	};
	Ptr pGroup;
	for (int attempt = 0; !pGroup; ++attempt)
	{
		// A name no group has in any of the bases (another execd with our pid,
		// in another pid namespace, may have made one).
		Ptr pCandidate(new ResourceGroup(limits));
		bool taken = false;
		for (const auto& b: bases)
		{
			const std::string dir = b.first + "/" + pCandidate->_name;
			if (::mkdir(dir.c_str(), 0755) == 0)
			{
				pCandidate->_directories.push_back(dir);
				continue;
			}
			if (errno != EEXIST || attempt >= 15) fail("create the cgroup " + dir, errno);
			taken = true;
			break;
		}
		if (!taken) pGroup = pCandidate;   // else the candidate removes what it made
	}
	std::size_t index = 0;
	for (const auto& b: bases)
	{
		const std::string& dir = pGroup->_directories[index++];
		const bool v2 = t.support.version == 2;
		const std::set<std::string>& here = b.second;
		auto set = [&](const std::string& file, const std::string& value, bool optional) {
			const std::string path = dir + "/" + file;
			if (optional && ::access(path.c_str(), F_OK) != 0) return;
			int err = writeFile(path, value);
			if (err) fail("write " + value + " to " + path, err);
		};
		if (here.count("memory") && (v2 || limits.memoryBytes))
			pGroup->_memoryDirectory = dir;   // v2: counted whether limited or not
		if (limits.memoryBytes && here.count("memory"))
		{
			const std::string bytes = std::to_string(*limits.memoryBytes);
			if (v2)
			{
				set("memory.max", bytes, false);
				set("memory.swap.max", "0", true);   // an OOM kill, not a swap storm
			}
			else
			{
				set("memory.limit_in_bytes", bytes, false);
				set("memory.memsw.limit_in_bytes", bytes, true);
			}
		}
		if (limits.pids && here.count("pids")) set("pids.max", std::to_string(*limits.pids), false);
		if (limits.cpuMillisPerSecond && here.count("cpu"))
		{
			const Poco::UInt64 quota = *limits.cpuMillisPerSecond * ResourceLimits::CPU_PERIOD_MICROS / 1000;
			if (v2)
			{
				set("cpu.max", std::to_string(quota) + " " + std::to_string(ResourceLimits::CPU_PERIOD_MICROS), false);
			}
			else
			{
				set("cpu.cfs_period_us", std::to_string(ResourceLimits::CPU_PERIOD_MICROS), false);
				set("cpu.cfs_quota_us", std::to_string(quota), false);
			}
		}
		int fd = ::open((dir + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
		if (fd < 0) fail("open " + dir + "/cgroup.procs", errno);
		pGroup->_join.push_back(fd);
	}
	return pGroup;
}


ResourceGroup::~ResourceGroup()
{
	try
	{
		kill();
		remove();
	}
	catch (...)
	{
	}
	for (int fd: _join) ::close(fd);
}


const ResourceLimits& ResourceGroup::limits() const
{
	return _limits;
}


const std::vector<int>& ResourceGroup::joinDescriptors() const
{
	return _join;
}


int ResourceGroup::childOomScoreAdj() const
{
	return tree().childOomScoreAdj;
}


void ResourceGroup::adopt(pid_t pid) const
{
	for (const std::string& dir: _directories)
	{
		int err = writeFile(dir + "/cgroup.procs", std::to_string(pid));
		if (err) throw Poco::SystemException("cannot move process " + std::to_string(pid) + " into the cgroup " + dir, err);
	}
	writeFile("/proc/" + std::to_string(pid) + "/oom_score_adj", std::to_string(childOomScoreAdj()));
}


std::optional<std::uint64_t> ResourceGroup::oomKills() const
{
	// v2: the group's own count, limited or not (every group has the memory
	// controller there); v1: only a group with a memory limit has one.
	if (_memoryDirectory.empty()) return std::nullopt;
	return Cgroups::counter(_memoryDirectory + (_version == 2 ? "/memory.events" : "/memory.oom_control"), "oom_kill");
}


std::vector<pid_t> ResourceGroup::members() const
{
	std::vector<pid_t> result;
	for (const std::string& dir: _directories)
	{
		for (pid_t pid: procs(dir))
			if (std::find(result.begin(), result.end(), pid) == result.end()) result.push_back(pid);
	}
	return result;
}


void ResourceGroup::kill()
{
	if (_version == 2 && !_directories.empty()) writeFile(_directories.front() + "/cgroup.kill", "1");   // Linux 5.14
	const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
	for (;;)
	{
		std::vector<pid_t> pids = members();
		if (pids.empty() || std::chrono::steady_clock::now() >= deadline) return;
		for (pid_t pid: pids) ::kill(pid, SIGKILL);
		std::this_thread::sleep_for(std::chrono::milliseconds(2));
	}
}


void ResourceGroup::remove()
{
	for (const std::string& dir: _directories)
	{
		// The kernel lets go of a group a moment after its last process died.
		bool removed = false;
		for (int i = 0; i < 200 && !removed; ++i)
		{
			removed = ::rmdir(dir.c_str()) == 0 || errno == ENOENT;
			if (!removed) std::this_thread::sleep_for(std::chrono::milliseconds(5));
		}
		if (!removed) Poco::Logger::get("execd").warning("cannot remove the cgroup %s: %s", dir, std::string(std::strerror(errno)));
	}
}


} // namespace execd
