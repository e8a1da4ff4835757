#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>
#include <sys/stat.h>
#include <sys/types.h>


namespace execd {
namespace files {


class DirectoryWalk
	/// A depth-first walk of a directory tree without recursion, shared by search,
	/// list and remove. The stack of levels is explicit; the names of a level are read
	/// and sorted bytewise when it is entered. However deep the tree, at most
	/// MAX_OPEN_DIRECTORIES descriptors are open: a level whose descriptor was closed
	/// is reopened through ".." of its child and must still be the same directory
	/// (device and inode), else the walk fails. Every access is relative to a
	/// directory descriptor, so paths may grow past PATH_MAX. Symbolic links are
	/// never followed.
	///
	/// Errors are Poco::FileException whose code() is the errno.
{
public:
	static constexpr std::size_t MAX_OPEN_DIRECTORIES = 32;

	enum Step
	{
		ENTRY,   ///< name() is the next name of the current directory
		LEAVE,   ///< the directory name() (in dirFd()) was walked to its end and left
		END      ///< the root's names are done; the root itself is never reported
	};

	explicit DirectoryWalk(const std::string& root);
		/// Opens root without following a symbolic link. Throws Poco::FileException
		/// ("open <root>: ...") when it cannot.

	DirectoryWalk(int fd, const std::string& root);
		/// Walks the directory open on fd (O_RDONLY | O_DIRECTORY), which it takes
		/// over, named root in paths and messages: for a root that was itself
		/// reached without following links, one component at a time.

	~DirectoryWalk();
		/// Closes every descriptor.

	DirectoryWalk(const DirectoryWalk&) = delete;
	DirectoryWalk& operator = (const DirectoryWalk&) = delete;

	Step next();
		/// The next step. Throws Poco::FileException when a directory cannot be read
		/// or was moved away during the walk.

	int descend();
		/// After an ENTRY naming a directory: its names come next, then its LEAVE.
		/// Returns 0, or the errno of opening it (ENOENT: it vanished meanwhile;
		/// ENOTDIR or ELOOP: it is no longer a directory), and then nothing changes.

	int dirFd() const;
		/// The open directory holding name(), for *at() system calls.

	const std::string& name() const;
		/// The name the last step reported.

	std::string path() const;
		/// root/.../name().

	unsigned char type() const;
		/// The d_type of name() (DT_DIR, DT_REG, ...); DT_UNKNOWN when the file system
		/// does not say, see stat().

	std::size_t depth() const;
		/// 1 for a name in the root, 2 one level down, and so on.

	int stat(struct stat& st) const;
		/// lstat of name(): 0 or the errno.

private:
	struct Level
	{
		int fd = -1;
		dev_t device = 0;
		ino_t inode = 0;
		std::vector<std::pair<std::string, unsigned char>> names;
		std::size_t next = 0;          ///< index of the next name to report
		std::size_t parentLength = 0;  ///< _path.size() in the parent level
	};

	void push(int fd, const std::string& path);
	void pop();
	void readNames(Level& level, const std::string& path);

	std::vector<Level> _levels;
	std::size_t _firstOpen = 0;   ///< levels below this index have their descriptor closed
	std::string _path;            ///< the path of the current directory
};


} } // namespace execd::files
