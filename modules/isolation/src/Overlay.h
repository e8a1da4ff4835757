#pragma once

#include <cstddef>
#include <string>
#include <vector>


namespace execd {
namespace isolation {


class Overlay
	/// The overlays of overlay sessions, which execd mounts itself (Debian's bwrap
	/// 0.8 has no --overlay): the mount, the start-up probe, and diff and commit,
	/// which upstream does not have: the list of an overlay's changes against the
	/// host workspace, and applying them to it.
	///
	/// An overlay is mounted with redirect_dir=off and metacopy=off (where the
	/// kernel knows them): every change then lies in the upper directory as whole
	/// files, plain directories, whiteouts (0:0 character devices) and opaque
	/// directories, which is what diff() reads.
{
public:
	struct Change
	{
		enum Kind
		{
			ADDED,
			MODIFIED,
			DELETED
		};

		std::string path;   ///< relative to the workspace
		Kind kind = ADDED;
		std::string type;   ///< file, directory, symlink (other kinds: file)
		long long size = 0; ///< the session's size; for DELETED the host's
	};

	static void mount(const std::string& lower, const std::string& upper, const std::string& work, const std::string& target);
		/// Throws Poco::SystemException.

	static bool probe(const std::string& root);
		/// True when an overlay can be mounted (and unmounted) in a scratch
		/// directory under root, which is removed again.

	static std::vector<Change> diff(const std::string& upper, int workspace, std::size_t maxEntries);
		/// What differs between the session's view and the host's workspace, as
		/// the upper directory holds it: a file, link or directory of the upper that
		/// the workspace lacks is ADDED; a file or link whose type, size, mtime,
		/// mode, owner (or link target) differ from the workspace's is MODIFIED; a
		/// whiteout of a workspace entry, or a workspace entry hidden by an opaque
		/// directory, is DELETED. Pre-order, names sorted. Nothing is followed.
		/// Throws ApiException 413 past maxEntries entries of the upper. workspace
		/// is a descriptor of the host workspace (not taken over).

	static std::vector<Change> commit(const std::string& upper, int workspace, const std::string& workspacePath, std::size_t maxEntries);
		/// Applies diff() to the workspace: each file is written beside its target
		/// and renamed over it (atomic per file), with the session's owner, mtime
		/// and mode less its setuid and setgid bits (what a session made must not
		/// become a set-id program of the host); links likewise; directories made;
		/// deletions done (rm -rf). A file is copied as large as it was when the
		/// commit looked at it, whatever a job of the session still appends.
		/// Nothing on either side is followed. Returns what was applied; diff() is
		/// empty afterwards. The upper directory is not emptied: under a mounted
		/// overlay that would be undefined behaviour (the session would keep stale
		/// entries and could lose writes).

	static std::string json(const std::vector<Change>& changes);
		/// {"changes":[{"path","change","type","size"}...],"added":n,"modified":n,
		/// "deleted":n,"bytes":n}; bytes = the sizes of what is added or modified.
};


} } // namespace execd::isolation
