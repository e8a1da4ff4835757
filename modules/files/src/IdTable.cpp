#include "IdTable.h"
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sys/stat.h>


namespace execd {
namespace files {


IdTable::IdTable(const char* path):
	_path(path)
{
}


std::optional<std::string> IdTable::name(unsigned id)
{
	std::lock_guard<std::mutex> lock(_mutex);
	refresh();
	auto it = _names.find(id);
	if (it == _names.end()) return std::nullopt;
	return it->second;
}


std::optional<unsigned> IdTable::id(const std::string& name)
{
	std::lock_guard<std::mutex> lock(_mutex);
	refresh();
	auto it = _ids.find(name);
	if (it == _ids.end()) return std::nullopt;
	return it->second;
}


IdTable& IdTable::users()
{
	static IdTable table("/etc/passwd");
	return table;
}


IdTable& IdTable::groups()
{
	static IdTable table("/etc/group");
	return table;
}


void IdTable::refresh()
{
	// Looked at no more than once a second: listings ask for every entry.
	auto now = std::chrono::steady_clock::now();
	if (_loaded && now - _checked < std::chrono::seconds(1)) return;
	_checked = now;
	struct stat st;
	if (::stat(_path, &st) != 0)
	{
		_names.clear();
		_ids.clear();
		return;
	}
	if (_loaded && st.st_mtim.tv_sec == _mtime.tv_sec && st.st_mtim.tv_nsec == _mtime.tv_nsec && st.st_ino == _inode) return;
	_loaded = true;
	_mtime = st.st_mtim;
	_inode = st.st_ino;
	load();
}


void IdTable::load()
{
	_names.clear();
	_ids.clear();
	std::ifstream in(_path);
	std::string line;
	while (std::getline(in, line))
	{
		// name:password:id:...
		std::size_t a = line.find(':');
		if (a == std::string::npos || a == 0) continue;
		std::size_t b = line.find(':', a + 1);
		if (b == std::string::npos) continue;
		std::size_t c = line.find(':', b + 1);
		std::string digits = line.substr(b + 1, c == std::string::npos ? std::string::npos : c - b - 1);
		if (digits.empty() || !std::all_of(digits.begin(), digits.end(), [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); }))
			continue;
		unsigned id = static_cast<unsigned>(std::strtoul(digits.c_str(), nullptr, 10));
		std::string name = line.substr(0, a);
		_names.emplace(id, name);   // the first entry wins, as in getpwuid
		_ids.emplace(name, id);
	}
}


} } // namespace execd::files
