#pragma once

#include "FileSystem.h"
#include "Glob.h"
#include <string>
#include <sys/stat.h>


namespace execd {
namespace files {


class Searcher
	/// The walk of /files/search, over DirectoryWalk (no recursion, bounded
	/// descriptors): sorted names, pre-order, symbolic links never followed,
	/// directories never reported, base names matched. d_type keeps it to one lstat
	/// per match, as find does. Appends FileInfo objects, comma-separated, to out.
{
public:
	Searcher(const Glob& glob, WalkBudget& budget, std::string& out);

	void walk(const std::string& root);
		/// Every non-directory below root. Throws ApiException 500 "error searching
		/// files. ..." for an unreadable directory or an invalid pattern, and what
		/// WalkBudget::count() throws.

	void test(int dirFd, const std::string& path, const std::string& name, const struct stat* known);
		/// One candidate: matched by name, lstat'ed (unless known) and appended.

private:
	const Glob& _glob;
	WalkBudget& _budget;
	std::string& _out;
};


void listTree(const std::string& root, long depth, WalkBudget& budget, std::string& out);
	/// /directories/list: every entry down to depth levels below root, pre-order,
	/// names sorted, FileInfo objects comma-separated into out; only real directories
	/// are entered. Throws ApiException 500 "error listing directory ..." and what
	/// WalkBudget::count() throws.

int removeTree(const std::string& path);
	/// rm -rf without following symbolic links, however deep the tree: 0, or the
	/// errno of the first failure (a missing path is success).


} } // namespace execd::files
