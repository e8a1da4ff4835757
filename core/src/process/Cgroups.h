#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>


namespace execd {


namespace Cgroups
	/// What the core reads of cgroups for itself (RunUsage, ResourceGroup).
{
	std::map<std::string, std::string> ownGroups();
		/// execd's group in each hierarchy, from /proc/self/cgroup: controller
		/// ("memory", ...) -> path; "" -> the cgroup v2 group. Read once, and
		/// again after moved().

	void moved();
		/// execd changed its cgroup (ResourceGroup moved it into a leaf).

	std::optional<std::uint64_t> counter(const std::string& file, const std::string& key);
		/// The value of key in a file of "key value" lines (memory.events,
		/// memory.oom_control); nothing where the file or the key is missing.
}


} // namespace execd
