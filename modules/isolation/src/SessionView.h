#pragma once

#include "Poco/Exception.h"
#include <string>
#include <sys/stat.h>
#include <sys/types.h>


namespace execd {
namespace isolation {


class SessionView
	/// A session's workspace as its file routes see it (contract §4): paths are
	/// workspace-relative (an absolute path outside the workspace is re-rooted
	/// inside it), and every component is opened relative to the directory above
	/// it without following a symbolic link. Whatever the session's processes place
	/// in the workspace — a link to /etc/shadow, a directory swapped for a link
	/// while a request runs — no request reaches a file outside it. Upstream checks
	/// the links of the upper layer only, and by path.
	///
	/// The root is the workspace itself (rw, ro) or the overlay execd mounted
	/// (lower = the workspace, upper = the session's): reads and writes go through
	/// the kernel's overlay, so the proxy's writes are seen inside the running
	/// session too (upstream's are not, trap 16), and deletions are real whiteouts.
{
public:
	class Location
		/// Where one path leads: the open directory that holds its last component,
		/// and that component's name ("." for the workspace itself). A missing
		/// directory on the way is error() ENOENT (or ENOTDIR), with no directory.
	{
	public:
		Location() = default;
		~Location();
		Location(Location&& other) noexcept;
		Location& operator = (Location&& other) noexcept;
		Location(const Location&) = delete;
		Location& operator = (const Location&) = delete;

		int dir() const;                 ///< -1 when error() != 0
		const std::string& name() const;
		const std::string& path() const; ///< <workspace>/<relative>, for messages
		const std::string& relative() const;
		int error() const;               ///< 0, or the errno of a missing directory on the way

	private:
		friend class SessionView;
		int _dir = -1;
		std::string _name;
		std::string _path;
		std::string _relative;
		int _error = 0;
	};

	SessionView(int root, std::string workspace, bool writable, uid_t uid, gid_t gid);
		/// root: an open descriptor (O_DIRECTORY) of the directory the routes work
		/// in, taken over; opened once, when the session started, so that what the
		/// workspace's path leads to later (a session may rename a directory above
		/// it and put a link there) does not matter. workspace: the path the session
		/// sees it at (messages, re-rooting); uid and gid own what the routes create.
	~SessionView();
	SessionView(SessionView&& other) noexcept;
	SessionView(const SessionView&) = delete;
	SessionView& operator = (const SessionView&) = delete;
	SessionView& operator = (SessionView&&) = delete;

	std::string relative(const std::string& raw) const;
		/// §4.1: the path cleaned, the workspace prefix stripped, the rest taken as
		/// relative to the workspace; "" for the workspace itself. Throws ApiException
		/// 500 "path traversal denied: <raw>" for one that climbs out (and for names
		/// like "..foo", as upstream), and 400 past the path limits.

	Location locate(const std::string& raw, bool makeParents) const;

	Location locateRelative(const std::string& relative, bool makeParents) const;
		/// locate() of a path already relative and clean, as a walk of the tree
		/// produces it (names such as "..x" included, which relative() refuses).
		/// Opens every directory above raw's last component, one at a time with
		/// O_NOFOLLOW. makeParents creates the missing ones (0755, owned by the
		/// session's identity). Throws ApiException 500 "symlink target denied: <p>"
		/// when a component is a symbolic link.

	int openLeaf(const Location& location, int flags) const;
		/// openat() of the leaf with O_NOFOLLOW | O_CLOEXEC added: the descriptor, or
		/// -1 with errno set. A leaf that is a symbolic link throws as locate() does.

	int openDirectory(const std::string& raw, std::string& path) const;
		/// The directory raw names, opened for reading (O_DIRECTORY), with path set
		/// for messages: the descriptor, or -1 with errno set (ENOTDIR for another
		/// kind of file). Throws as locate() does.

	void requireWritable(const std::string& op) const;
		/// ApiException 500 "<op> denied: workspace is read-only" in ro mode.

	void own(int dir, const std::string& name) const;
		/// Gives the entry to the session's identity (not following a link). A
		/// failure is only logged, as upstream.

	const std::string& workspace() const;

	[[noreturn]] static void denySymlink(const std::string& path);

	static std::string fileInfo(const std::string& path, const struct stat& st);
		/// The isolated FileInfo object (trap 14): {"path","type","size","modified_at",
		/// "created_at":"0001-01-01T00:00:00Z","owner":"","group":"","mode":644}.

private:
	int _root;
	const std::string _workspace;
	const bool _writable;
	const uid_t _uid;
	const gid_t _gid;
};


} } // namespace execd::isolation
