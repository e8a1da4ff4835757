#pragma once

#include "execd/ApiException.h"
#include <ctime>
#include <optional>
#include <string>
#include <vector>
#include <sys/stat.h>
#include <sys/types.h>


namespace execd {
namespace files {


namespace Paths
	/// Path resolution as upstream does it for every path a client sends.
{
	std::string expand(const std::string& path);
		/// $NAME and ${NAME} from execd's environment, then a leading ~ or ~/.
		/// Throws ApiException 500 naming the undefined variables (sorted).

	std::string clean(const std::string& path);
		/// Lexical cleaning as Go's path.Clean: "..", ".", "//", trailing "/".

	std::string absolute(const std::string& path);
		/// expand(), made absolute against execd's working directory, cleaned.

	std::string baseName(const std::string& path);
	std::string dirName(const std::string& path);
}


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
