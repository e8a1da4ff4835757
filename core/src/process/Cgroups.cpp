#include "process/Cgroups.h"
#include <fstream>
#include <mutex>
#include <sstream>


namespace execd {
namespace Cgroups {


namespace {


std::mutex mutex;
std::optional<std::map<std::string, std::string>> cached;   ///< under mutex


std::map<std::string, std::string> read()
{
	std::map<std::string, std::string> result;
	std::ifstream in("/proc/self/cgroup");
	for (std::string line; std::getline(in, line);)
	{
		// hierarchy-ID:controllers:path
		std::size_t first = line.find(':');
		std::size_t second = first == std::string::npos ? first : line.find(':', first + 1);
		if (second == std::string::npos) continue;
		const std::string controllers = line.substr(first + 1, second - first - 1);
		const std::string path = line.substr(second + 1);
		if (controllers.empty())
		{
			result[""] = path;
			continue;
		}
		std::istringstream list(controllers);
		for (std::string c; std::getline(list, c, ',');) result[c] = path;
	}
	return result;
}


} // namespace


std::map<std::string, std::string> ownGroups()
{
	std::lock_guard<std::mutex> lock(mutex);
	if (!cached) cached = read();
	return *cached;
}


void moved()
{
	std::lock_guard<std::mutex> lock(mutex);
	cached.reset();
}


std::optional<std::uint64_t> counter(const std::string& file, const std::string& key)
{
	std::ifstream in(file);
	std::string name;
	std::uint64_t value = 0;
	while (in >> name >> value)
		if (name == key) return value;
	return std::nullopt;
}


} } // namespace execd::Cgroups
