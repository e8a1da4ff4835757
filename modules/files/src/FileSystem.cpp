#include "FileSystem.h"
#include "IdTable.h"
#include "execd/Http.h"
#include "execd/StreamEvent.h"
#include "Poco/Exception.h"
#include "Poco/Net/StreamSocket.h"
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <poll.h>
#include <unistd.h>


namespace execd {
namespace files {


WalkBudget::WalkBudget(Poco::Net::HTTPServerRequest& request, std::size_t maxEntries, std::string what):
	_socket(Http::descriptorOf(request)),
	_maxEntries(maxEntries),
	_what(std::move(what))
{
}


void WalkBudget::count()
{
	if (++_entries > _maxEntries)
		throw ApiException::badRequest(_what + " stopped after " + std::to_string(_maxEntries) + " entries, the limit (module.files.walkMaxEntries): ask for a smaller tree");
	if (_entries % CHECK_INTERVAL == 0 && clientGone(_socket))
		throw ApiException(499, ErrorCode::RUNTIME_ERROR, _what + " cancelled: the client closed its connection");
}


bool clientGone(int socket)
{
	// A request has been read whole, so a readable socket means the client hung up
	// (recv 0), reset it, or pipelined another request (data: still there).
	struct pollfd pfd;
	pfd.fd = socket;
	pfd.events = POLLIN | POLLRDHUP;
	pfd.revents = 0;
	if (::poll(&pfd, 1, 0) <= 0) return false;
	if (pfd.revents & (POLLHUP | POLLERR | POLLNVAL | POLLRDHUP)) return true;
	char c;
	return ::recv(socket, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}


void checkPath(const std::string& path)
{
	if (path.find('\0') != std::string::npos) throw ApiException::badRequest("invalid path: it contains a NUL byte");
	Paths::checkLimits(path);
}


void makeDirectories(const std::string& path, mode_t mode)
{
	try
	{
		Paths::createDirectories(path, mode);
	}
	catch (Poco::FileException& exc)
	{
		throwFileError(exc);
	}
}


std::string requiredPath(const QueryParams& query)
{
	std::string raw = query.get("path", "");
	if (raw.empty()) throw ApiException::missingQuery("path");
	checkPath(raw);
	return raw;
}


std::string errorText(int error, const std::string& op, const std::string& path)
{
	return Paths::errorText(error, op, path);
}


void throwFileError(int error, const std::string& op, const std::string& path)
{
	throwFileError(Poco::FileException(errorText(error, op, path), error));
}


void throwFileError(const Poco::FileException& exc)
{
	if (exc.code() == ENOENT) throw ApiException::notFound(ErrorCode::FILE_NOT_FOUND, "file not found. " + exc.message());
	throw ApiException::runtimeError("error accessing file: " + exc.message());
}


std::string FileInfoWriter::timestamp(const struct timespec& ts)
{
	// In UTC (containers) gmtime_r does it without localtime_r's lock and TZ checks.
	static const bool utc = [] {
		::tzset();
		return ::timezone == 0 && ::daylight == 0;
	}();
	struct tm local;
	time_t seconds = ts.tv_sec;
	if (utc)
	{
		::gmtime_r(&seconds, &local);
		local.tm_gmtoff = 0;
	}
	else
	{
		::localtime_r(&seconds, &local);
	}
	char buffer[64];
	std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%S", &local);
	std::string out = buffer;
	if (ts.tv_nsec != 0)
	{
		char fraction[16];
		std::snprintf(fraction, sizeof(fraction), ".%09ld", static_cast<long>(ts.tv_nsec));
		std::string f = fraction;
		while (f.back() == '0') f.pop_back();
		out += f;
	}
	long offset = local.tm_gmtoff;
	if (offset == 0)
	{
		out += 'Z';
	}
	else
	{
		char zone[48];
		long minutes = (offset < 0 ? -offset : offset) / 60;
		std::snprintf(zone, sizeof(zone), "%c%02ld:%02ld", offset < 0 ? '-' : '+', minutes / 60, minutes % 60);
		out += zone;
	}
	return out;
}


std::string FileInfoWriter::userName(uid_t uid)
{
	auto name = IdTable::users().name(uid);
	return name ? *name : std::to_string(uid);
}


std::string FileInfoWriter::groupName(gid_t gid)
{
	auto name = IdTable::groups().name(gid);
	return name ? *name : std::to_string(gid);
}


std::optional<uid_t> FileInfoWriter::userId(const std::string& name)
{
	auto id = IdTable::users().id(name);
	if (!id) return std::nullopt;
	return static_cast<uid_t>(*id);
}


std::optional<gid_t> FileInfoWriter::groupId(const std::string& name)
{
	auto id = IdTable::groups().id(name);
	if (!id) return std::nullopt;
	return static_cast<gid_t>(*id);
}


std::string FileInfoWriter::etag(const struct stat& st)
{
	char buffer[128];
	std::snprintf(buffer, sizeof(buffer), "\"%lx-%lx-%llx-%llx.%lx\"",
		static_cast<unsigned long>(st.st_dev), static_cast<unsigned long>(st.st_ino),
		static_cast<unsigned long long>(st.st_size), static_cast<unsigned long long>(st.st_mtim.tv_sec),
		static_cast<unsigned long>(st.st_mtim.tv_nsec));
	return buffer;
}


void FileInfoWriter::append(std::string& out, const std::string& path, const struct stat& st)
{
	const char* type = "other";
	if (S_ISREG(st.st_mode)) type = "file";
	else if (S_ISDIR(st.st_mode)) type = "directory";
	else if (S_ISLNK(st.st_mode)) type = "symlink";
	unsigned perm = st.st_mode & 0777;
	// The permission bits written as octal digits, read as a decimal number.
	int mode = static_cast<int>((perm >> 6) * 100 + ((perm >> 3) & 7) * 10 + (perm & 7));
	out += "{\"path\":";
	Json::appendString(out, path);
	out += ",\"type\":\"";
	out += type;
	out += "\",\"size\":";
	out += std::to_string(static_cast<long long>(st.st_size));
	out += ",\"modified_at\":\"";
	out += timestamp(st.st_mtim);
	out += "\",\"created_at\":\"";
	out += timestamp(st.st_ctim);
	out += "\",\"owner\":";
	Json::appendString(out, userName(st.st_uid));
	out += ",\"group\":";
	Json::appendString(out, groupName(st.st_gid));
	out += ",\"mode\":";
	out += std::to_string(mode);
	out += '}';
}


std::vector<std::string> entityTags(const std::string& header)
{
	std::vector<std::string> tags;
	std::size_t i = 0;
	while (i < header.size())
	{
		while (i < header.size() && (header[i] == ' ' || header[i] == ',' || header[i] == '\t')) ++i;
		if (i >= header.size()) break;
		if (header[i] == '*')
		{
			tags.emplace_back("*");
			++i;
			continue;
		}
		std::size_t start = i;
		if (header.compare(i, 2, "W/") == 0) i += 2;
		if (i < header.size() && header[i] == '"')
		{
			std::size_t close = header.find('"', i + 1);
			if (close == std::string::npos) break;
			tags.push_back(header.substr(start, close + 1 - start));
			i = close + 1;
		}
		else
		{
			std::size_t end = header.find(',', i);
			tags.push_back(header.substr(start, end == std::string::npos ? std::string::npos : end - start));
			i = end == std::string::npos ? header.size() : end;
		}
	}
	return tags;
}


bool ifMatchPasses(const std::string& header, const struct stat* st)
{
	if (!st) return false;
	std::string tag = FileInfoWriter::etag(*st);
	for (const std::string& t: entityTags(header))
		if (t == "*" || t == tag) return true;
	return false;
}


Permission Permission::from(const JsonBody& body)
{
	Permission p;
	p.owner = body.getString("owner").value_or("");
	p.group = body.getString("group").value_or("");
	p.mode = body.getInt("mode", -2147483648LL, 2147483647LL).value_or(0);
	return p;
}


int octalMode(long long digits)
{
	// As Go's strconv.ParseUint(strconv.Itoa(mode), 8, 32): the decimal digits read
	// as octal ones (ten at most, so always within 32 bits); only 9 bits are used.
	auto invalid = [digits] {
		return Poco::FileException("strconv.ParseUint: parsing \"" + std::to_string(digits) + "\": invalid syntax", 0);
	};
	if (digits < 0) throw invalid();
	int mode = 0;
	int shift = 0;
	for (long long rest = digits; rest > 0; rest /= 10, shift += 3)
	{
		int d = static_cast<int>(rest % 10);
		if (d > 7) throw invalid();
		if (shift < 9) mode |= d << shift;
	}
	return mode;
}


namespace {


void changeMode(const std::string& path, long long digits)
	// chmod with upstream's digits, following links.
{
	int mode = octalMode(digits);
	if (::chmod(path.c_str(), static_cast<mode_t>(mode)) != 0)
	{
		int error = errno;
		throw Poco::FileException(errorText(error, "chmod", path), error);
	}
}


} // namespace


void applyPermission(const std::string& path, const Permission& permission)
{
	if (permission.mode != 0) changeMode(path, permission.mode);
	setOwnership(path, permission);
}


void setOwnership(const std::string& path, const Permission& permission)
{
	if (permission.owner.empty() && permission.group.empty()) return;
	uid_t uid = static_cast<uid_t>(-1);
	gid_t gid = static_cast<gid_t>(-1);
	if (!permission.owner.empty())
	{
		auto id = FileInfoWriter::userId(permission.owner);
		if (!id) throw Poco::FileException("failed to lookup user " + permission.owner + ": user: unknown user " + permission.owner, 0);
		uid = *id;
	}
	if (!permission.group.empty())
	{
		auto id = FileInfoWriter::groupId(permission.group);
		if (!id) throw Poco::FileException("failed to lookup group " + permission.group + ": group: unknown group " + permission.group, 0);
		gid = *id;
	}
	if (::chown(path.c_str(), uid, gid) != 0)
	{
		int error = errno;
		throw Poco::FileException("failed to set owner/group for " + path + ": " + errorText(error, "chown", path), error);
	}
}


std::vector<std::string> createOwnedDirectories(const std::string& path, const Permission& permission)
{
	std::vector<std::string> created = Paths::createDirectories(path, 0777);
	for (const std::string& dir: created) setOwnership(dir, permission);
	return created;
}


void makeDirectory(const std::string& path, const Permission& permission)
{
	struct stat st;
	bool existed = ::stat(path.c_str(), &st) == 0;
	createOwnedDirectories(path, permission);
	if (!existed && permission.mode != 0) changeMode(path, permission.mode);
}


} } // namespace execd::files
