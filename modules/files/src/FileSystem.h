#pragma once

#include "execd/ApiException.h"
#include "execd/Http.h"
#include "execd/Paths.h"
#include <ctime>
#include <optional>
#include <string>
#include <vector>
#include <sys/stat.h>
#include <sys/types.h>


namespace execd {
namespace files {


void checkPath(const std::string& path);
	/// 400 for a path with a NUL byte (no system call could take it).

std::string requiredPath(const QueryParams& query);
	/// The "path" query parameter: 400 MISSING_QUERY when absent or empty, 400 with a NUL byte.


[[noreturn]] void throwFileError(int error, const std::string& op, const std::string& path);
	/// Upstream's "fileErr": ENOENT -> 404 FILE_NOT_FOUND "file not found. <op> <path>: <text>";
	/// anything else -> 500 RUNTIME_ERROR "error accessing file: <op> <path>: <text>".

std::string errorText(int error, const std::string& op, const std::string& path);
	/// Go's *PathError text: "<op> <path>: <strerror lowercased as Go spells it>".


class FileInfoWriter
	/// The FileInfo JSON object of the contract, written straight into a string.
{
public:
	static void append(std::string& out, const std::string& path, const struct stat& st);
		/// {"path","type","size","modified_at","created_at","owner","group","mode"}.

	static std::string timestamp(const struct timespec& ts);
		/// RFC 3339 with nanoseconds (trailing zeros trimmed) in execd's local zone.

	static std::string userName(uid_t uid);
	static std::string groupName(gid_t gid);
		/// From /etc/passwd and /etc/group (re-read when they change); the decimal id
		/// when there is no entry.

	static std::optional<uid_t> userId(const std::string& name);
	static std::optional<gid_t> groupId(const std::string& name);
		/// Name lookups in the same files.

	static std::string etag(const struct stat& st);
		/// A strong validator: device, inode, size and mtime (ns), quoted.
};


std::vector<std::string> entityTags(const std::string& header);
	/// The tags of an If-Match / If-None-Match / If-Range header, "*" included.

bool ifMatchPasses(const std::string& header, const struct stat* st);
	/// If-Match, strong comparison: "*" passes for an existing file, otherwise
	/// the file's ETag must be listed. st is null for a missing file.


struct Permission
	/// {"owner","group","mode"} of permissions, mkdir and upload.
{
	std::string owner;
	std::string group;
	long long mode = 0;   ///< octal digits read as decimal (755); 0 = no chmod
};


void applyPermission(const std::string& path, const Permission& permission);
	/// chmod (when mode != 0, low 9 bits) then chown as upstream: names looked up,
	/// neither resolved -> execd's own uid:gid. Throws Poco::SystemException-like
	/// ApiException 500 with the cause.

int octalMode(long long digits);
	/// 755 -> 0755. Throws ApiException 500 for a digit 8 or 9, or a negative value.


} } // namespace execd::files
