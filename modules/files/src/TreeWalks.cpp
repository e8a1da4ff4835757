#include "TreeWalks.h"
#include "DirectoryWalk.h"
#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>


namespace execd {
namespace files {


Searcher::Searcher(const Glob& glob, WalkBudget& budget, std::string& out):
	_glob(glob),
	_budget(budget),
	_out(out)
{
}


void Searcher::walk(const std::string& root)
{
	const std::string FAILED = "error searching files. ";
	try
	{
		DirectoryWalk walk(root);
		for (DirectoryWalk::Step step = walk.next(); step != DirectoryWalk::END; step = walk.next())
		{
			if (step != DirectoryWalk::ENTRY) continue;
			_budget.count();
			unsigned char type = walk.type();
			struct stat st;
			bool statted = false;
			if (type == DT_UNKNOWN)
			{
				int error = walk.stat(st);
				if (error == ENOENT) continue;   // vanished meanwhile
				if (error != 0) throw ApiException::runtimeError(FAILED + errorText(error, "lstat", walk.path()));
				statted = true;
				type = S_ISDIR(st.st_mode) ? DT_DIR : DT_REG;
			}
			if (type != DT_DIR)
			{
				test(walk.dirFd(), walk.path(), walk.name(), statted ? &st : nullptr);
				continue;
			}
			int error = walk.descend();
			if (error != 0 && error != ENOENT) throw ApiException::runtimeError(FAILED + errorText(error, "open", walk.path()));
		}
	}
	catch (Poco::FileException& exc)
	{
		if (exc.code() == ENOENT) return;   // the root vanished meanwhile
		throw ApiException::runtimeError(FAILED + exc.message());
	}
}


void Searcher::test(int dirFd, const std::string& path, const std::string& name, const struct stat* known)
{
	if (!_glob.valid())
		throw ApiException::runtimeError("error searching files. invalid pattern " + _glob.pattern() + ": syntax error in pattern");
	if (!_glob.match(name)) return;
	struct stat st;
	if (known)
		st = *known;
	else if (::fstatat(dirFd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
	{
		if (errno == ENOENT) return;
		throw ApiException::runtimeError("error searching files. " + errorText(errno, "lstat", path));
	}
	_out += _out.size() > 1 ? "," : "";
	FileInfoWriter::append(_out, path, st);
}


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
	struct stat st;
	if (::lstat(path.c_str(), &st) != 0) return errno == ENOENT ? 0 : errno;
	if (!S_ISDIR(st.st_mode)) return ::unlink(path.c_str()) == 0 || errno == ENOENT ? 0 : errno;
	try
	{
		DirectoryWalk walk(path);
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
	return ::rmdir(path.c_str()) == 0 || errno == ENOENT ? 0 : errno;
}


} } // namespace execd::files
