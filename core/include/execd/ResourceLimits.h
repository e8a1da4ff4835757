#pragma once

#include "execd/Core.h"
#include "Poco/Types.h"
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <sys/types.h>
#include <vector>


namespace execd {


class JsonBody;


struct EXECD_API ResourceLimits
	/// The optional "limits" member of POST /command, POST /session and
	/// POST /code/context: {"memory_bytes", "cpu_millis_per_s", "pids"}.
{
	std::optional<Poco::UInt64> memoryBytes;         ///< memory.max (v2), memory.limit_in_bytes (v1); swap too
	std::optional<Poco::UInt64> cpuMillisPerSecond;  ///< CPU time per second of wall time: 500 = half a core
	std::optional<Poco::UInt64> pids;                ///< pids.max: processes and threads at once

	static constexpr Poco::UInt64 MIN_MEMORY_BYTES = 4 * 1024 * 1024;
	static constexpr Poco::UInt64 MAX_MEMORY_BYTES = Poco::UInt64(1) << 50;   ///< 1 PiB
	static constexpr Poco::UInt64 MIN_CPU_MILLIS = 10;     ///< 1 ms of every 100 ms period, the kernel's least quota
	static constexpr Poco::UInt64 MAX_PIDS = 4194304;      ///< the kernel's PID_MAX_LIMIT
	static constexpr Poco::UInt64 CPU_PERIOD_MICROS = 100000;

	bool empty() const;

	std::set<std::string> controllers() const;
		/// The cgroup controllers the limits need: "memory", "cpu", "pids".

	static Poco::UInt64 maxCpuMillis();
		/// 1000 for every CPU execd may run on: more would be no limit.

	static ResourceLimits fromJson(const JsonBody& body, const std::string& prefix);
		/// Reads body's "limits" (absent or null: no limits). memory_bytes is an
		/// integer or a size string ("100M", "1.5G" is not one: "1536M"; K, M, G
		/// and T are powers of 1024, an "i" or "B" after them is allowed, "b"
		/// is not); the others are integers. Unknown members (null ones too), a
		/// member given twice (names match in any case) and values out of range are a 400
		/// INVALID_REQUEST_BODY whose message starts with prefix and names the
		/// member and its range: a limit that is misspelt must not be dropped.
};


class EXECD_API ResourceGroup
	/// A cgroup of its own for one command, session or code context, with the
	/// limits applied: a child of execd's own group in the cgroup v2 tree, or in
	/// each cgroup v1 hierarchy a limit needs (memory, pids, cpu) where the
	/// machine has no v2 controllers (hybrid hierarchies). execd never joins one:
	/// a process joins through Subprocess::Options::group before it execs, so
	/// nothing it runs escapes, and gets an oom_score_adj above execd's.
	///
	/// Under cgroup v2 a group that hands controllers to children cannot hold
	/// processes itself: the first group created moves execd (and, if that is
	/// not enough, every process of its group) into a leaf "execd.daemon" next
	/// to the groups it creates.
	///
	/// Every group is in the cpu controller too, limited or not, so that the
	/// scheduler weighs it as one against execd's threads.
	///
	/// Destroying the group kills whatever still runs in it and removes it.
{
public:
	using Ptr = std::shared_ptr<ResourceGroup>;

	struct Support
		/// What this machine offers, found once.
	{
		int version = 0;                      ///< 0: no writable tree; 1 or 2
		std::set<std::string> controllers;    ///< of memory, pids and cpu, those usable
		std::string reason;                   ///< why some or all are missing ("" when none is)
	};

	static const Support& support();

	static void publish();
		/// The feature "resource_limits" and the resourceLimits.* entries of
		/// GET /capabilities.

	static Ptr create(const ResourceLimits& limits);
		/// A new group with those limits. Throws ApiException 400
		/// LIMITS_UNAVAILABLE naming what is missing when a controller the limits
		/// need cannot be had, and ApiException 500 when the kernel refuses the
		/// group. Empty limits: nullptr.

	~ResourceGroup();
		/// kill(), then removes the group (waiting at most a second for the
		/// kernel to let go of it; after that it is left for the next execd to
		/// sweep, and logged).

	ResourceGroup(const ResourceGroup&) = delete;
	ResourceGroup& operator = (const ResourceGroup&) = delete;

	const ResourceLimits& limits() const;

	const std::vector<int>& joinDescriptors() const;
		/// The group's cgroup.procs files, open for writing (close-on-exec): a
		/// child writes "0" to each to join (SubprocessLauncher does).

	int childOomScoreAdj() const;
		/// The oom_score_adj its processes get: execd's own plus 500, at least
		/// 500, at most 1000, so that the OOM killer takes them before execd.

	void adopt(pid_t pid) const;
		/// Moves a running process (a kernel started by a Jupyter server) into
		/// the group. Throws Poco::SystemException.

	std::optional<std::uint64_t> oomKills() const;
		/// The OOM kills in the group: memory.events (cgroup v2, every group),
		/// memory.oom_control (v1, a group with a memory limit); else nothing.

	std::vector<pid_t> members() const;
		/// The processes in the group now.

	void kill();
		/// SIGKILLs every process in the group, looking again until it is empty
		/// (at most two seconds): a fork bomb is bounded by its pids limit, and
		/// cgroup v2's cgroup.kill takes it at once.

private:
	explicit ResourceGroup(const ResourceLimits& limits);

	void remove();

	ResourceLimits _limits;
	std::string _name;
	std::vector<std::string> _directories;   ///< one per hierarchy (v1), or one (v2)
	std::string _memoryDirectory;            ///< where the OOM kills are counted
	int _version = 0;
	std::vector<int> _join;
};


} // namespace execd
