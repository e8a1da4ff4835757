#pragma once

#include "execd/ApiException.h"
#include "execd/Descriptor.h"
#include "execd/Http.h"
#include "execd/Paths.h"
#include "execd/StreamEvent.h"
#include "Poco/Exception.h"
#include <cstddef>
#include <ctime>
#include <optional>
#include <string>
#include <vector>
#include <sys/stat.h>
#include <sys/types.h>


namespace execd {
namespace files {


class WalkBudget
	/// The bounds of one walk over a client's tree: at most maxEntries entries, and
	/// it stops once the client has gone (its connection is looked at every
	/// CHECK_INTERVAL entries).
{
public:
	static constexpr std::size_t CHECK_INTERVAL = 64;

	WalkBudget(Poco::Net::HTTPServerRequest& request, std::size_t maxEntries, std::string what);
		/// what names the walk in messages ("search", "list").

	void count();
		/// One more entry. Throws ApiException 400 INVALID_REQUEST_BODY past
		/// maxEntries, and ApiException 499 when the client has closed its connection.

private:
	int _socket;
	std::size_t _maxEntries;
	std::size_t _entries = 0;
	std::string _what;
};


bool clientGone(int socket);
	/// True when the client of a request that has been read whole has closed or
	/// reset its connection. Does not wait; a pipelined next request is not a
	/// departure.


void checkPath(const std::string& path);
	/// 400 INVALID_REQUEST_BODY for a path with a NUL byte (no system call could
	/// take it), or past Paths::checkLimits().

void makeDirectories(const std::string& path, mode_t mode);
	/// Paths::createDirectories() with upstream's "fileErr" for a failing component.

std::string requiredPath(const QueryParams& query);
	/// The "path" query parameter: 400 MISSING_QUERY when absent or empty, 400 with a NUL byte.


template <class Members>
std::string jsonObject(const Members& members)
	/// {"<name>":<value>,...} for (name, JSON text) pairs, in members' order: the
	/// maps of info and replace (a std::map gives Go's sorted key order).
{
	std::string out = "{";
	for (const auto& m: members)
	{
		if (out.size() > 1) out += ',';
		Json::appendString(out, m.first);
		out += ':';
		out += m.second;
	}
	return out + '}';
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

	static Permission from(const JsonBody& body);
		/// The three keys of body, each optional; throws ApiException 400 (with
		/// body's prefix) for a value of the wrong type or a mode out of range.
};


// The functions below apply a Permission as upstream does. Their errors are
// Poco::FileException whose message() is upstream's error text (Go's words) and
// whose code() is the errno, or 0 when no system call failed; each route puts its
// own prefix before the text.

void applyPermission(const std::string& path, const Permission& permission);
	/// Upstream's ChmodFile: chmod (low 9 bits, follows links) when mode != 0, then
	/// setOwnership(). A Permission with neither gives no system call at all.

void setOwnership(const std::string& path, const Permission& permission);
	/// Nothing when neither owner nor group is given. Otherwise each given name is
	/// looked up as a name (a numeric string too) in /etc/passwd or /etc/group,
	/// the first unknown failing ("failed to lookup user alice: user: unknown user
	/// alice"); the id not given stays as it is; then chown, following links
	/// ("failed to set owner/group for <path>: chown <path>: <cause>").

std::vector<std::string> createOwnedDirectories(const std::string& path, const Permission& permission);
	/// Paths::createDirectories() with 0777 (the umask applies), then
	/// setOwnership() of each directory it created, outermost first; directories
	/// that existed are left alone, and permission's mode is not used. Returns the
	/// directories created. The path limits throw ApiException 400 as there.

void makeDirectory(const std::string& path, const Permission& permission);
	/// One entry of POST /directories: createOwnedDirectories(), then the mode, only
	/// when path did not exist before (stat, following links) and mode != 0. An
	/// existing directory is left completely untouched.

int octalMode(long long digits);
	/// 755 -> 0755 (low 9 bits). A digit 8 or 9, or a negative value, throws
	/// Poco::FileException "strconv.ParseUint: parsing \"789\": invalid syntax".

[[noreturn]] void throwFileError(const Poco::FileException& exc);
	/// Upstream's "fileErr" for an error in Go's words: code() ENOENT -> 404
	/// FILE_NOT_FOUND "file not found. <message>"; else 500 RUNTIME_ERROR "error
	/// accessing file: <message>".


} } // namespace execd::files
