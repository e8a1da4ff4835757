#include "Overlay.h"
#include "DirectoryWalk.h"
#include "SessionView.h"
#include "FileSystem.h"
#include "Transfer.h"
#include "TreeWalks.h"
#include "execd/ApiException.h"
#include "execd/Paths.h"
#include "execd/StreamEvent.h"
#include "Poco/Exception.h"
#include "Poco/File.h"
#include "Poco/Logger.h"
#include "Poco/UUIDGenerator.h"
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <set>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>


namespace execd {
namespace isolation {


namespace {


const int DIRECTORY_FLAGS = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;


int statBeneath(int root, const std::string& relative, struct stat& st)
	// lstat of root/relative, every directory on the way opened without following
	// a link: 0, or the errno (ENOENT as well when a component is a link or no
	// directory: then nothing of that name is in the workspace for the overlay).
{
	int dir = ::fcntl(root, F_DUPFD_CLOEXEC, 0);
	if (dir < 0) return errno;
	std::size_t begin = 0;
	for (;;)
	{
		const std::size_t end = relative.find('/', begin);
		const std::string name = relative.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
		if (end == std::string::npos)
		{
			int rc = ::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : errno;
			::close(dir);
			return rc;
		}
		int next = ::openat(dir, name.c_str(), DIRECTORY_FLAGS);
		int error = errno;
		::close(dir);
		if (next < 0) return error == ELOOP || error == ENOTDIR ? ENOENT : error;
		dir = next;
		begin = end + 1;
	}
}


std::string typeOf(const struct stat& st)
{
	return S_ISDIR(st.st_mode) ? "directory" : S_ISLNK(st.st_mode) ? "symlink" : "file";
}


bool whiteout(const struct stat& st)
{
	return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}


std::string linkTarget(int dir, const std::string& name)
{
	std::string target(4096, '\0');
	ssize_t n = ::readlinkat(dir, name.c_str(), &target[0], target.size());
	target.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
	return target;
}


bool opaque(int dir, const std::string& name)
{
	Descriptor fd(::openat(dir, name.c_str(), DIRECTORY_FLAGS));
	char value[4] = {0};
	return fd.get() >= 0 && ::fgetxattr(fd.get(), "trusted.overlay.opaque", value, sizeof(value)) > 0 && value[0] == 'y';
}


[[noreturn]] void fail(int error, const std::string& op, const std::string& path)
{
	throw ApiException::runtimeError("commit: " + Paths::errorText(error, op, path));
}


std::string tempName()
{
	return ".execd-" + Poco::UUIDGenerator::defaultGenerator().createRandom().toString().substr(0, 8) + ".tmp";
}


} // namespace


void Overlay::mount(const std::string& lower, const std::string& upper, const std::string& work, const std::string& target)
{
	const std::string options = "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work;
	// Whole copies in the upper, no redirects: what diff() and commit() read.
	if (::mount("overlay", target.c_str(), "overlay", 0, (options + ",redirect_dir=off,metacopy=off").c_str()) == 0) return;
	if (errno == EINVAL && ::mount("overlay", target.c_str(), "overlay", 0, (options + ",redirect_dir=off").c_str()) == 0) return;
	if (errno == EINVAL && ::mount("overlay", target.c_str(), "overlay", 0, options.c_str()) == 0) return;
	throw Poco::SystemException("mount the overlay: " + std::string(std::strerror(errno)));
}


bool Overlay::probe(const std::string& root)
{
	std::string dir = root + "/.probe-XXXXXX";
	if (!::mkdtemp(&dir[0])) return false;
	bool ok = false;
	try
	{
		for (const char* sub: {"/lower", "/upper", "/work", "/merged"}) Poco::File(dir + sub).createDirectories();
		mount(dir + "/lower", dir + "/upper", dir + "/work", dir + "/merged");
		ok = ::umount2((dir + "/merged").c_str(), MNT_DETACH) == 0;
	}
	catch (Poco::Exception&)
	{
	}
	try
	{
		Poco::File(dir).remove(true);
	}
	catch (Poco::Exception&)
	{
	}
	return ok;
}


std::vector<Overlay::Change> Overlay::diff(const std::string& upper, int workspace, std::size_t maxEntries)
{
	std::vector<Change> changes;
	Descriptor lower(::fcntl(workspace, F_DUPFD_CLOEXEC, 0));
	if (lower.get() < 0) throw ApiException::runtimeError(Paths::errorText(errno, "open", "the workspace"));
	std::size_t entries = 0;
	try
	{
		files::DirectoryWalk walk(upper);
		for (auto step = walk.next(); step != files::DirectoryWalk::END; step = walk.next())
		{
			if (step != files::DirectoryWalk::ENTRY) continue;
			if (++entries > maxEntries)
				throw ApiException(413, ErrorCode::PAYLOAD_TOO_LARGE, "the overlay holds more than " + std::to_string(maxEntries) + " entries");
			struct stat st;
			if (walk.stat(st) != 0) continue;
			const std::string relative = walk.path().substr(upper.size() + 1);
			struct stat host;
			const bool exists = statBeneath(lower.get(), relative, host) == 0;
			Change change;
			change.path = relative;
			if (whiteout(st))
			{
				if (!exists) continue;
				change.kind = Change::DELETED;
				change.type = typeOf(host);
				change.size = S_ISREG(host.st_mode) ? host.st_size : 0;
				changes.push_back(change);
				continue;
			}
			change.type = typeOf(st);
			change.size = S_ISREG(st.st_mode) ? st.st_size : 0;
			if (S_ISDIR(st.st_mode))
			{
				if (!exists || !S_ISDIR(host.st_mode))
				{
					change.kind = exists ? Change::MODIFIED : Change::ADDED;
					changes.push_back(change);
				}
				else if (opaque(walk.dirFd(), walk.name()))
				{
					// The session removed the directory and made it again: what the
					// host has there and the upper has not is gone.
					Descriptor hostDir(::openat(lower.get(), relative.c_str(), DIRECTORY_FLAGS));
					DIR* d = hostDir.get() >= 0 ? ::fdopendir(::fcntl(hostDir.get(), F_DUPFD_CLOEXEC, 0)) : nullptr;
					std::set<std::string> gone;
					Descriptor upperDir(::openat(walk.dirFd(), walk.name().c_str(), DIRECTORY_FLAGS));
					while (d)
					{
						dirent* e = ::readdir(d);
						if (!e) break;
						const std::string name = e->d_name;
						if (name == "." || name == "..") continue;
						struct stat mine;
						if (::fstatat(upperDir.get(), name.c_str(), &mine, AT_SYMLINK_NOFOLLOW) != 0) gone.insert(name);
					}
					if (d) ::closedir(d);
					for (const std::string& name: gone)
					{
						struct stat old;
						if (::fstatat(hostDir.get(), name.c_str(), &old, AT_SYMLINK_NOFOLLOW) != 0) continue;
						changes.push_back(Change{relative + "/" + name, Change::DELETED, typeOf(old), S_ISREG(old.st_mode) ? old.st_size : 0});
					}
				}
				walk.descend();
				continue;
			}
			if (exists)
			{
				bool same = (st.st_mode & S_IFMT) == (host.st_mode & S_IFMT) && st.st_uid == host.st_uid && st.st_gid == host.st_gid;
				if (same && S_ISLNK(st.st_mode))
				{
					Descriptor hostParent(relative.find('/') == std::string::npos ? ::fcntl(lower.get(), F_DUPFD_CLOEXEC, 0)
						: ::openat(lower.get(), Paths::dirName("/" + relative).substr(1).c_str(), DIRECTORY_FLAGS));
					same = linkTarget(walk.dirFd(), walk.name()) == linkTarget(hostParent.get(), walk.name());
				}
				else if (same)
				{
					same = st.st_size == host.st_size && (st.st_mode & 07777) == (host.st_mode & 07777)
						&& st.st_mtim.tv_sec == host.st_mtim.tv_sec && st.st_mtim.tv_nsec == host.st_mtim.tv_nsec;
				}
				if (same) continue;
				change.kind = Change::MODIFIED;
			}
			changes.push_back(change);
		}
	}
	catch (Poco::FileException& exc)
	{
		throw ApiException::runtimeError("diff: " + exc.message());
	}
	return changes;
}


std::vector<Overlay::Change> Overlay::commit(const std::string& upper, int workspace, const std::string& workspacePath, std::size_t maxEntries)
{
	const std::vector<Change> changes = diff(upper, workspace, maxEntries);
	// Both sides are opened one component at a time without following links:
	// neither the session (through the upper) nor anything else (through the
	// workspace) leads a commit to read or write outside them.
	const int upperFd = ::open(upper.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (upperFd < 0) fail(errno, "open", upper);
	const SessionView from(upperFd, upper, false, 0, 0);
	const int workspaceFd = ::fcntl(workspace, F_DUPFD_CLOEXEC, 0);
	if (workspaceFd < 0) fail(errno, "open", workspacePath);
	const SessionView to(workspaceFd, workspacePath, true, 0, 0);
	for (const Change& change: changes)
	{
		SessionView::Location target = to.locateRelative(change.path, change.kind != Change::DELETED);
		if (change.kind == Change::DELETED)
		{
			if (target.error() != 0) continue;   // its directory is gone already
			if (int error = files::removeTreeAt(target.dir(), target.name(), target.path())) fail(error, "remove", target.path());
			continue;
		}
		if (target.error() != 0) fail(target.error(), "mkdir", target.path());
		SessionView::Location source = from.locateRelative(change.path, false);
		if (source.error() != 0) continue;   // gone since the diff
		struct stat st;
		if (::fstatat(source.dir(), source.name().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
		struct stat old;
		const bool exists = ::fstatat(target.dir(), target.name().c_str(), &old, AT_SYMLINK_NOFOLLOW) == 0;
		const mode_t mode = st.st_mode & (S_ISDIR(st.st_mode) ? 01777 : 0777);   // no set-id bits
		if (S_ISDIR(st.st_mode))
		{
			if (exists && !S_ISDIR(old.st_mode) && ::unlinkat(target.dir(), target.name().c_str(), 0) != 0) fail(errno, "remove", target.path());
			if (::mkdirat(target.dir(), target.name().c_str(), 0700) != 0 && errno != EEXIST) fail(errno, "mkdir", target.path());
			// Owner and mode through the directory itself: what is there now may
			// have been swapped for a link since.
			Descriptor dir(::openat(target.dir(), target.name().c_str(), DIRECTORY_FLAGS));
			if (dir.get() < 0)
			{
				if (errno == ELOOP || errno == ENOTDIR) SessionView::denySymlink(target.path());
				fail(errno, "open", target.path());
			}
			if (::fchown(dir.get(), st.st_uid, st.st_gid) != 0 || ::fchmod(dir.get(), mode) != 0) fail(errno, "chmod", target.path());
			continue;
		}
		if (exists && S_ISDIR(old.st_mode))
		{
			if (int error = files::removeTreeAt(target.dir(), target.name(), target.path())) fail(error, "remove", target.path());
		}
		const std::string temp = tempName();
		if (S_ISLNK(st.st_mode))
		{
			if (::symlinkat(linkTarget(source.dir(), source.name()).c_str(), target.dir(), temp.c_str()) != 0) fail(errno, "symlink", target.path());
			::fchownat(target.dir(), temp.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
		}
		else if (S_ISREG(st.st_mode))
		{
			// O_NONBLOCK: swapped for a FIFO since, it must not hold the commit.
			Descriptor in(from.openLeaf(source, O_RDONLY | O_NONBLOCK));
			if (in.get() < 0) fail(errno, "open", source.path());
			struct stat now;
			if (::fstat(in.get(), &now) != 0 || !S_ISREG(now.st_mode)) continue;   // no longer a file: not committed
			Descriptor out(::openat(target.dir(), temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
			if (out.get() < 0) fail(errno, "open", target.path());
			int error = files::Transfer::copyAll(in.get(), out.get(), static_cast<unsigned long long>(now.st_size));
			if (error == 0 && ::fchown(out.get(), st.st_uid, st.st_gid) != 0) error = errno;
			if (error == 0 && ::fchmod(out.get(), mode) != 0) error = errno;
			const struct timespec times[2] = {now.st_atim, now.st_mtim};
			if (error == 0 && ::futimens(out.get(), times) != 0) error = errno;
			if (error != 0)
			{
				::unlinkat(target.dir(), temp.c_str(), 0);
				fail(error, "write", target.path());
			}
		}
		else
		{
			Poco::Logger::get("execd.isolation").warning("commit: %s is neither a file, a link nor a directory; skipped", target.path());
			continue;
		}
		if (::renameat(target.dir(), temp.c_str(), target.dir(), target.name().c_str()) != 0)
		{
			int error = errno;
			::unlinkat(target.dir(), temp.c_str(), 0);
			fail(error, "rename", target.path());
		}
	}
	return changes;
}


std::string Overlay::json(const std::vector<Change>& changes)
{
	static const char* const KINDS[] = {"added", "modified", "deleted"};
	std::size_t counts[3] = {0, 0, 0};
	long long bytes = 0;
	std::string out = "{\"changes\":[";
	for (const Change& c: changes)
	{
		if (counts[0] + counts[1] + counts[2] > 0) out += ',';
		++counts[c.kind];
		if (c.kind != Change::DELETED) bytes += c.size;
		out += "{\"path\":";
		Json::appendString(out, c.path);
		out += std::string(",\"change\":\"") + KINDS[c.kind] + "\",\"type\":\"" + c.type + "\",\"size\":" + std::to_string(c.size) + "}";
	}
	out += "],\"added\":" + std::to_string(counts[0]) + ",\"modified\":" + std::to_string(counts[1]) + ",\"deleted\":" + std::to_string(counts[2])
		+ ",\"bytes\":" + std::to_string(bytes) + "}";
	return out;
}


} } // namespace execd::isolation
