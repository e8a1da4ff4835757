#pragma once

#include "FileSystem.h"
#include "Glob.h"
#include <string>
#include <sys/stat.h>


namespace execd {
namespace files {


class Searcher
	/// The search of /files/search: a Glob matched against base names over a
	/// DirectoryWalk (no recursion, bounded descriptors), within a WalkBudget.
	/// Sorted names, pre-order, symbolic links never followed, directories never
	/// reported; d_type keeps it to one lstat per match, as find does.
{
public:
	Searcher(const std::string& pattern, WalkBudget& budget);
		/// Compiles pattern ("" is "**"). Throws ApiException 400 for a pattern past
		/// Glob::MAX_PATTERN_BYTES or Glob::MAX_NESTING. A pattern with a syntax
		/// error is accepted here and fails once a name is tested, as upstream's.

	std::string search(const std::string& root);
		/// The JSON array of the FileInfo objects found: every matching non-directory
		/// below root when it is a directory, else root itself if it matches. Throws
		/// ApiException 404/500 when root cannot be lstat'ed, 500 "error searching
		/// files. ..." for an unreadable directory or an invalid pattern, and what
		/// WalkBudget::count() throws.

private:
	void walk(const std::string& root);
	void test(int dirFd, const std::string& path, const std::string& name, const struct stat* known);

	Glob _glob;
	WalkBudget& _budget;
	std::string _out;
};


} } // namespace execd::files
