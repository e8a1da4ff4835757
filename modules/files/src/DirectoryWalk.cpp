#include "DirectoryWalk.h"
#include "execd/Paths.h"
#include "Poco/Exception.h"
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>


namespace execd {
namespace files {


namespace {


const int DIRECTORY_FLAGS = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;


std::string join(const std::string& dir, const std::string& name)
{
	return dir == "/" ? "/" + name : dir + "/" + name;
}


[[noreturn]] void fail(int error, const std::string& op, const std::string& path)
{
	throw Poco::FileException(Paths::errorText(error, op, path), error);
}


} // namespace


DirectoryWalk::DirectoryWalk(const std::string& root)
{
	int fd = ::openat(AT_FDCWD, root.c_str(), DIRECTORY_FLAGS);
	if (fd < 0) fail(errno, "open", root);
	_path = root;
	push(fd, root);
}


DirectoryWalk::DirectoryWalk(int fd, const std::string& root)
{
	_path = root;
	push(fd, root);
}


DirectoryWalk::~DirectoryWalk()
{
	for (Level& level: _levels)
		if (level.fd >= 0) ::close(level.fd);
}


DirectoryWalk::Step DirectoryWalk::next()
{
	Level& level = _levels.back();
	if (level.next < level.names.size())
	{
		++level.next;
		return ENTRY;
	}
	if (_levels.size() == 1) return END;
	pop();
	return LEAVE;
}


int DirectoryWalk::descend()
{
	int fd = ::openat(dirFd(), name().c_str(), DIRECTORY_FLAGS);
	if (fd < 0) return errno;
	std::string path = join(_path, name());
	push(fd, path);
	_levels.back().parentLength = _path.size();
	_path = std::move(path);
	return 0;
}


int DirectoryWalk::dirFd() const
{
	return _levels.back().fd;
}


const std::string& DirectoryWalk::name() const
{
	const Level& level = _levels.back();
	return level.names[level.next - 1].first;
}


std::string DirectoryWalk::path() const
{
	return join(_path, name());
}


unsigned char DirectoryWalk::type() const
{
	const Level& level = _levels.back();
	return level.names[level.next - 1].second;
}


std::size_t DirectoryWalk::depth() const
{
	return _levels.size();
}


int DirectoryWalk::stat(struct stat& st) const
{
	return ::fstatat(dirFd(), name().c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : errno;
}


void DirectoryWalk::push(int fd, const std::string& path)
	// Takes ownership of fd, also when it throws.
{
	Level level;
	level.fd = fd;
	struct stat st;
	if (::fstat(fd, &st) != 0)
	{
		int error = errno;
		::close(fd);
		fail(error, "stat", path);
	}
	level.device = st.st_dev;
	level.inode = st.st_ino;
	try
	{
		readNames(level, path);
	}
	catch (...)
	{
		::close(fd);
		throw;
	}
	_levels.push_back(std::move(level));
	// Bounded descriptors: the shallowest open level gives its descriptor up.
	if (_levels.size() - _firstOpen > MAX_OPEN_DIRECTORIES)
	{
		::close(_levels[_firstOpen].fd);
		_levels[_firstOpen].fd = -1;
		++_firstOpen;
	}
}


void DirectoryWalk::pop()
{
	Level child = std::move(_levels.back());
	_levels.pop_back();
	_path.resize(child.parentLength);
	Level& parent = _levels.back();
	if (parent.fd < 0)
	{
		// Reopened through "..", which is the parent only if nobody moved the child.
		int fd = ::openat(child.fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		int error = errno;
		::close(child.fd);
		if (fd < 0) fail(error, "open", _path);
		struct stat st;
		if (::fstat(fd, &st) != 0 || st.st_dev != parent.device || st.st_ino != parent.inode)
		{
			::close(fd);
			throw Poco::FileException("open " + _path + ": the directory was moved during the walk", ESTALE);
		}
		parent.fd = fd;
		_firstOpen = _levels.size() - 1;
		return;
	}
	::close(child.fd);
}


void DirectoryWalk::readNames(Level& level, const std::string& path)
{
	// A duplicate for the DIR stream, which owns and closes it; level.fd stays.
	int copy = ::fcntl(level.fd, F_DUPFD_CLOEXEC, 0);
	if (copy < 0) fail(errno, "open", path);
	DIR* d = ::fdopendir(copy);
	if (!d)
	{
		int error = errno;
		::close(copy);
		fail(error, "open", path);
	}
	for (;;)
	{
		errno = 0;
		struct dirent* e = ::readdir(d);
		if (!e) break;
		if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
		level.names.emplace_back(e->d_name, e->d_type);
	}
	int error = errno;
	::closedir(d);
	if (error != 0) fail(error, "readdirent", path);
	std::sort(level.names.begin(), level.names.end());
}


} } // namespace execd::files
