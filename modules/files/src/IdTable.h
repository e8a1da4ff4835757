#pragma once

#include <chrono>
#include <ctime>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <sys/types.h>


namespace execd {
namespace files {


class IdTable
	/// name <-> id from /etc/passwd or /etc/group, re-read when the file changes
	/// (looked at no more than once a second). Thread-safe.
{
public:
	explicit IdTable(const char* path);
		/// path is not copied: a string literal, or one that outlives the table.

	std::optional<std::string> name(unsigned id);
		/// The first name with this id, as getpwuid() gives; nothing when none has it.

	std::optional<unsigned> id(const std::string& name);
		/// The id of the first entry with this name.

	static IdTable& users();
		/// The table of /etc/passwd.

	static IdTable& groups();
		/// The table of /etc/group.

private:
	void refresh();
	void load();

	const char* _path;
	std::mutex _mutex;
	bool _loaded = false;
	std::chrono::steady_clock::time_point _checked;
	struct timespec _mtime{};
	ino_t _inode = 0;
	std::map<unsigned, std::string> _names;
	std::map<std::string, unsigned> _ids;
};


} } // namespace execd::files
