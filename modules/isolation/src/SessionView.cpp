#include "SessionView.h"
#include "FileSystem.h"
#include "execd/ApiException.h"
#include "execd/Paths.h"
#include "execd/StreamEvent.h"
#include "Poco/Logger.h"
#include <cerrno>
#include <fcntl.h>
#include <unistd.h>
#include <utility>


namespace execd {
namespace isolation {


namespace {


const int DIRECTORY_FLAGS = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;


bool isLink(int dir, const std::string& name)
{
	struct stat st;
	return ::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
}


} // namespace


SessionView::Location::~Location()
{
	if (_dir >= 0) ::close(_dir);
}


SessionView::Location::Location(Location&& other) noexcept:
	_dir(std::exchange(other._dir, -1)),
	_name(std::move(other._name)),
	_path(std::move(other._path)),
	_relative(std::move(other._relative)),
	_error(other._error)
{
}


SessionView::Location& SessionView::Location::operator = (Location&& other) noexcept
{
	if (this != &other)
	{
		if (_dir >= 0) ::close(_dir);
		_dir = std::exchange(other._dir, -1);
		_name = std::move(other._name);
		_path = std::move(other._path);
		_relative = std::move(other._relative);
		_error = other._error;
	}
	return *this;
}


int SessionView::Location::dir() const
{
	return _dir;
}


const std::string& SessionView::Location::name() const
{
	return _name;
}


const std::string& SessionView::Location::path() const
{
	return _path;
}


const std::string& SessionView::Location::relative() const
{
	return _relative;
}


int SessionView::Location::error() const
{
	return _error;
}


SessionView::SessionView(int root, std::string workspace, bool writable, uid_t uid, gid_t gid):
	_root(root),
	_workspace(std::move(workspace)),
	_writable(writable),
	_uid(uid),
	_gid(gid)
{
}


SessionView::~SessionView()
{
	if (_root >= 0) ::close(_root);
}


SessionView::SessionView(SessionView&& other) noexcept:
	_root(std::exchange(other._root, -1)),
	_workspace(std::move(other._workspace)),
	_writable(other._writable),
	_uid(other._uid),
	_gid(other._gid)
{
}


std::string SessionView::relative(const std::string& raw) const
{
	files::checkPath(raw);
	std::string path = Paths::clean(raw);
	if (path == _workspace) return "";
	const std::string prefix = _workspace == "/" ? "/" : _workspace + "/";
	if (path.compare(0, prefix.size(), prefix) == 0) path.erase(0, prefix.size());
	if (path.compare(0, 2, "..") == 0)
		throw ApiException::runtimeError("path traversal denied: " + raw);
	// What is left is relative to the workspace, absolute or not: "/etc/passwd"
	// is <workspace>/etc/passwd.
	path = Paths::clean("/" + path);
	return path == "/" ? "" : path.substr(1);
}


SessionView::Location SessionView::locate(const std::string& raw, bool makeParents) const
{
	return locateRelative(relative(raw), makeParents);
}


SessionView::Location SessionView::locateRelative(const std::string& relative, bool makeParents) const
{
	Location location;
	location._relative = relative;
	location._path = location._relative.empty() ? _workspace : (_workspace == "/" ? "/" : _workspace + "/") + location._relative;
	int dir = ::fcntl(_root, F_DUPFD_CLOEXEC, 0);
	if (dir < 0) throw ApiException::runtimeError(Paths::errorText(errno, "open", _workspace));
	location._dir = dir;
	if (location._relative.empty())
	{
		location._name = ".";
		return location;
	}
	std::string walked = _workspace == "/" ? "" : _workspace;
	std::size_t begin = 0;
	for (;;)
	{
		std::size_t end = location._relative.find('/', begin);
		const std::string component = location._relative.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
		if (end == std::string::npos)
		{
			location._name = component;
			return location;
		}
		walked += "/" + component;
		int next = ::openat(location._dir, component.c_str(), DIRECTORY_FLAGS);
		if (next < 0 && errno == ENOENT && makeParents)
		{
			if (::mkdirat(location._dir, component.c_str(), 0755) == 0)
				own(location._dir, component);
			else if (errno != EEXIST)
				throw ApiException::runtimeError(Paths::errorText(errno, "mkdir", walked));
			next = ::openat(location._dir, component.c_str(), DIRECTORY_FLAGS);
		}
		if (next < 0)
		{
			int error = errno;
			if ((error == ELOOP || error == ENOTDIR) && isLink(location._dir, component)) denySymlink(walked);
			::close(location._dir);
			location._dir = -1;
			location._error = error;
			location._name = location._relative.substr(location._relative.rfind('/') + 1);
			return location;
		}
		::close(location._dir);
		location._dir = next;
		begin = end + 1;
	}
}


int SessionView::openLeaf(const Location& location, int flags) const
{
	if (location.error() != 0)
	{
		errno = location.error();
		return -1;
	}
	int fd = ::openat(location.dir(), location.name().c_str(), flags | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ELOOP && isLink(location.dir(), location.name())) denySymlink(location.path());
	return fd;
}


int SessionView::openDirectory(const std::string& raw, std::string& path) const
{
	Location location = locate(raw, false);
	path = location.path();
	return openLeaf(location, O_RDONLY | O_DIRECTORY);
}


void SessionView::requireWritable(const std::string& op) const
{
	if (!_writable) throw ApiException::runtimeError(op + " denied: workspace is read-only");
}


void SessionView::own(int dir, const std::string& name) const
{
	if (::fchownat(dir, name.c_str(), _uid, _gid, AT_SYMLINK_NOFOLLOW) != 0)
		Poco::Logger::get("execd.isolation").warning("chown of %s to %u:%u failed: %s", name, unsigned(_uid), unsigned(_gid), std::string(std::strerror(errno)));
}


const std::string& SessionView::workspace() const
{
	return _workspace;
}


void SessionView::denySymlink(const std::string& path)
{
	throw ApiException::runtimeError("symlink target denied: " + path);
}


std::string SessionView::fileInfo(const std::string& path, const struct stat& st)
{
	std::string out = "{\"path\":";
	Json::appendString(out, path);
	out += ",\"type\":";
	out += S_ISDIR(st.st_mode) ? "\"directory\"" : S_ISLNK(st.st_mode) ? "\"symlink\"" : "\"file\"";
	out += ",\"size\":" + std::to_string(st.st_size);
	out += ",\"modified_at\":\"" + files::FileInfoWriter::timestamp(st.st_mtim) + "\"";
	out += ",\"created_at\":\"0001-01-01T00:00:00Z\",\"owner\":\"\",\"group\":\"\",\"mode\":";
	char mode[8];
	std::snprintf(mode, sizeof(mode), "%o", unsigned(st.st_mode & 0777));
	out += mode;
	out += '}';
	return out;
}


} } // namespace execd::isolation
