#pragma once

#include "FileSystem.h"
#include <string>
#include <sys/stat.h>


namespace execd {
namespace files {


void listTree(const std::string& root, long depth, WalkBudget& budget, std::string& out);
	/// /directories/list: every entry down to depth levels below root, pre-order,
	/// names sorted, FileInfo objects comma-separated into out; only real directories
	/// are entered. Throws ApiException 500 "error listing directory ..." and what
	/// WalkBudget::count() throws.

int removeTree(const std::string& path);
	/// rm -rf without following symbolic links, however deep the tree: 0, or the
	/// errno of the first failure (a missing path is success).

int removeTreeAt(int dir, const std::string& name, const std::string& path);
	/// removeTree() of name in the open directory dir (AT_FDCWD: name is a path),
	/// named path in messages: what the isolated sessions' views remove, whose
	/// directories above are opened without following links.


} } // namespace execd::files
