#include "TreeWalks.h"
#include "DirectoryWalk.h"
#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>


namespace execd {
namespace files {


void listTree(const std::string& root, long depth, WalkBudget& budget, std::string& out)
{
	try
	{
		DirectoryWalk walk(root);
		for (DirectoryWalk::Step step = walk.next(); step != DirectoryWalk::END; step = walk.next())
		{
			if (step != DirectoryWalk::ENTRY) continue;
			budget.count();
			struct stat st;
			int error = walk.stat(st);
			if (error != 0)
				throw ApiException::runtimeError("error listing directory " + Paths::dirName(walk.path()) + ". " + errorText(error, "lstat", walk.path()));
			if (out.size() > 1) out += ',';
			FileInfoWriter::append(out, walk.path(), st);
			if (!S_ISDIR(st.st_mode) || static_cast<long>(walk.depth()) >= depth) continue;
			error = walk.descend();
			if (error != 0)
				throw ApiException::runtimeError("error listing directory " + walk.path() + ". " + errorText(error, "open", walk.path()));
		}
	}
	catch (Poco::FileException& exc)
	{
		throw ApiException::runtimeError("error listing directory " + root + ". " + exc.message());
	}
}


namespace {


int removeEntry(DirectoryWalk& walk)
	// One ENTRY of removeTree(): a directory is entered, anything else unlinked.
{
	unsigned char type = walk.type();
	if (type == DT_UNKNOWN)
	{
		struct stat st;
		int error = walk.stat(st);
		if (error != 0) return error == ENOENT ? 0 : error;
		type = S_ISDIR(st.st_mode) ? DT_DIR : DT_REG;
	}
	if (type == DT_DIR)
	{
		int error = walk.descend();
		return error == ENOENT ? 0 : error;
	}
	return ::unlinkat(walk.dirFd(), walk.name().c_str(), 0) == 0 || errno == ENOENT ? 0 : errno;
}


} // namespace


int removeTree(const std::string& path)
{
	return removeTreeAt(AT_FDCWD, path, path);
}


int removeTreeAt(int dir, const std::string& name, const std::string& path)
{
	struct stat st;
	if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return errno == ENOENT ? 0 : errno;
	if (!S_ISDIR(st.st_mode)) return ::unlinkat(dir, name.c_str(), 0) == 0 || errno == ENOENT ? 0 : errno;
	int fd = ::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) return errno == ENOENT ? 0 : errno;
	try
	{
		DirectoryWalk walk(fd, path);
		for (DirectoryWalk::Step step = walk.next(); step != DirectoryWalk::END; step = walk.next())
		{
			int error = 0;
			if (step == DirectoryWalk::ENTRY)
				error = removeEntry(walk);
			else if (::unlinkat(walk.dirFd(), walk.name().c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
				error = errno;
			if (error != 0) return error;
		}
	}
	catch (Poco::FileException& exc)
	{
		if (exc.code() != ENOENT) return exc.code();
	}
	return ::unlinkat(dir, name.c_str(), AT_REMOVEDIR) == 0 || errno == ENOENT ? 0 : errno;
}


} } // namespace execd::files
