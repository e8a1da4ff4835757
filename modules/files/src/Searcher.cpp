#include "Searcher.h"
#include "DirectoryWalk.h"
#include "execd/ApiException.h"
#include <cerrno>
#include <dirent.h>
#include <fcntl.h>


namespace execd {
namespace files {


Searcher::Searcher(const std::string& pattern, WalkBudget& budget):
	_glob(pattern.empty() ? "**" : pattern),
	_budget(budget)
{
	if (_glob.status() == Glob::TOO_LONG || _glob.status() == Glob::TOO_DEEP)
		throw ApiException::badRequest("invalid query parameter 'pattern': " + _glob.message());
}


std::string Searcher::search(const std::string& root)
{
	struct stat st;
	if (::lstat(root.c_str(), &st) != 0) throwFileError(errno, "lstat", root);
	_out = "[";
	if (S_ISDIR(st.st_mode))
		walk(root);
	else
		test(AT_FDCWD, root, Paths::baseName(root), &st);
	_out += ']';
	return std::move(_out);
}


void Searcher::walk(const std::string& root)
	// Every non-directory below root, tested in turn.
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
	// One candidate: matched by name, lstat'ed (unless known) and appended.
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


} } // namespace execd::files
