// GET /files/watch: inotify as SSE.

#include "WatchHandler.h"
#include "FileSystem.h"
#include "execd/Http.h"
#include "execd/StreamEvent.h"
#include "execd/Paths.h"
#include "execd/SseWriter.h"
#include "Poco/Timestamp.h"
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>


namespace execd {
namespace files {


namespace {


constexpr std::uint32_t DIRECTORY_EVENTS = IN_CREATE | IN_MODIFY | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB
	| IN_DELETE_SELF | IN_MOVE_SELF | IN_EXCL_UNLINK | IN_ONLYDIR;


std::string baseName(const std::string& path)
{
	std::size_t slash = path.rfind('/');
	return slash == std::string::npos ? path : path.substr(slash + 1);
}


std::string join(const std::string& dir, const std::string& name)
{
	if (name.empty()) return dir;
	return dir == "/" ? "/" + name : dir + "/" + name;
}


} // namespace


constexpr std::chrono::milliseconds WatchHandler::COALESCE;


WatchHandler::WatchHandler(const RouteMatch& match, const FilesSettings& settings):
	StreamHandler(match),
	_settings(settings)
{
}


bool WatchHandler::resumable() const
{
	return false;
}


void WatchHandler::stream(Poco::Net::HTTPServerRequest& request, SseWriter& sink)
{
	QueryParams query(request);
	const std::string path = Paths::expand(requiredPath(query));
	const std::string recursive = query.get("recursive", "false");
	if (recursive != "true" && recursive != "false" && recursive != "1" && recursive != "0")
		throw ApiException::badRequest("invalid query parameter 'recursive': expected true or false");
	_recursive = recursive == "true" || recursive == "1";
	if (auto include = query.get("include"))
	{
		if (include->size() > Glob::MAX_PATTERN_BYTES)
			throw ApiException::badRequest("invalid query parameter 'include': longer than " + std::to_string(Glob::MAX_PATTERN_BYTES) + " bytes");
		_include.emplace(*include);
		if (!_include->valid())
			throw ApiException::badRequest("invalid query parameter 'include': malformed pattern " + *include);
	}
	struct stat st;
	if (::stat(path.c_str(), &st) != 0) throwFileError(errno, "stat", path);
	if (!S_ISDIR(st.st_mode))
		throw ApiException::badRequest("cannot watch " + path + ": not a directory");

	// Closed, and every watch released, as the stream ends.
	Descriptor inotify(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
	_fd = inotify.get();
	if (_fd < 0)
		throw ApiException(503, ErrorCode::SERVICE_UNAVAILABLE, std::string("cannot watch: inotify_init1: ") + std::strerror(errno)
			+ (errno == EMFILE ? " (fs.inotify.max_user_instances)" : ""));
	if (!watchTree(path, false, nullptr))
	{
		if (_limitErrno == ENOSPC) throw ApiException(503, ErrorCode::SERVICE_UNAVAILABLE, _limitError);
		if (_limitErrno != 0 && _dirs.empty()) throwFileError(_limitErrno, "inotify_add_watch", path);
		throw ApiException::badRequest(_limitError);
	}

	// The headers go out now: from here on, every change is seen.
	if (!sink.begin()) return;
	const int socket = Http::descriptorOf(request);
	std::vector<char> buffer(READ_BYTES);
	for (;;)
	{
		// Once a second at most: a stream the writer has dropped (a stalled client)
		// is noticed even when its socket is no longer ours to poll.
		int timeout = 1000;
		if (!_writes.empty())
		{
			auto first = _writes.begin()->second.due;
			for (const auto& w: _writes) first = std::min(first, w.second.due);
			auto left = std::chrono::duration_cast<std::chrono::milliseconds>(first - std::chrono::steady_clock::now()).count();
			timeout = static_cast<int>(std::min<long long>(1000, std::max<long long>(0, left + 1)));
		}
		struct pollfd fds[2] = {{_fd, POLLIN, 0}, {socket, POLLRDHUP, 0}};
		int rc = ::poll(fds, socket >= 0 ? 2 : 1, timeout);
		if (rc < 0 && errno != EINTR) return;
		if (!sink.isOpen()) return;
		// A client that closed its side: the watches go at once.
		if (socket >= 0 && (fds[1].revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL))) return;
		if (fds[0].revents & POLLIN)
		{
			for (;;)
			{
				ssize_t n = ::read(_fd, buffer.data(), buffer.size());
				if (n <= 0) break;
				if (!handleEvents(buffer.data(), static_cast<std::size_t>(n), sink)) return;
			}
		}
		if (!flushWrites(sink, false)) return;
		if (_dirs.empty())
		{
			// The watched directory itself is gone: nothing more can come.
			flushWrites(sink, true);
			return;
		}
	}
}


bool WatchHandler::addWatch(const std::string& dir)
{
	if (_dirs.size() >= _settings.watchMaxDirectories)
	{
		_limitErrno = 0;
		_limitError = "cannot watch " + dir + ": more than " + std::to_string(_settings.watchMaxDirectories)
			+ " directories in one watch (module.files.watchMaxDirectories)";
		return false;
	}
	// The root as given, through a symbolic link too; below it, links are not followed.
	int wd = ::inotify_add_watch(_fd, dir.c_str(), DIRECTORY_EVENTS | (_dirs.empty() ? 0 : IN_DONT_FOLLOW));
	if (wd < 0)
	{
		if (!_dirs.empty() && (errno == ENOENT || errno == ENOTDIR)) return true;   // gone meanwhile: its remove event tells
		_limitErrno = errno;
		_limitError = "cannot watch " + dir + ": " + std::strerror(errno) + (errno == ENOSPC ? " (fs.inotify.max_user_watches)" : "");
		return false;
	}
	_dirs[wd] = dir;
	return true;
}


bool WatchHandler::watchTree(const std::string& root, bool announce, SseWriter* pSink)
{
	// An explicit stack, not recursion: the depth is the tree's, not ours.
	std::vector<std::string> stack{root};
	bool first = true;
	while (!stack.empty())
	{
		std::string dir = stack.back();
		stack.pop_back();
		if (!addWatch(dir)) return false;
		if (!_recursive && !first) continue;
		const bool descend = _recursive || first;
		first = false;
		DIR* d = ::opendir(dir.c_str());
		if (!d) continue;
		while (struct dirent* e = ::readdir(d))
		{
			if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
			const std::string child = join(dir, e->d_name);
			bool isDir = e->d_type == DT_DIR;
			if (e->d_type == DT_UNKNOWN)
			{
				struct stat st;
				isDir = ::lstat(child.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
			}
			if (announce && pSink && !send(*pSink, "create", child, isDir))
			{
				::closedir(d);
				return true;
			}
			if (isDir && descend && _recursive) stack.push_back(child);
		}
		::closedir(d);
	}
	return true;
}


bool WatchHandler::handleEvents(const char* data, std::size_t size, SseWriter& sink)
{
	std::size_t at = 0;
	while (at + sizeof(struct inotify_event) <= size)
	{
		struct inotify_event event;
		std::memcpy(&event, data + at, sizeof(event));
		const char* name = data + at + sizeof(struct inotify_event);
		at += sizeof(struct inotify_event) + event.len;
		if (event.mask & IN_Q_OVERFLOW)
		{
			// Events were lost: said, never passed over.
			if (!flushWrites(sink, true)) return false;
			if (!emit(sink, "{\"type\":\"overflow\"")) return false;
			continue;
		}
		auto it = _dirs.find(event.wd);
		if (it == _dirs.end()) continue;
		if (event.mask & IN_IGNORED)
		{
			_dirs.erase(it);
			continue;
		}
		const std::string dir = it->second;
		const std::string path = join(dir, event.len > 0 ? std::string(name, ::strnlen(name, event.len)) : std::string());
		const bool isDir = (event.mask & IN_ISDIR) != 0;
		if (event.mask & (IN_DELETE_SELF | IN_MOVE_SELF))
		{
			// Its entry in the parent tells (or, for the root, this is the end).
			if (event.mask & IN_MOVE_SELF) ::inotify_rm_watch(_fd, event.wd);
			continue;
		}
		if (event.mask & IN_MODIFY)
		{
			if (!isDir && _writes.find(path) == _writes.end())
				_writes[path] = Pending{std::chrono::steady_clock::now() + COALESCE, false};
			continue;
		}
		// Anything else about a path comes after its pending write.
		if (!flushWrite(sink, path)) return false;
		if (event.mask & (IN_CREATE | IN_MOVED_TO))
		{
			if (!send(sink, "create", path, isDir)) return false;
			if (isDir && _recursive && !watchTree(path, true, &sink))
			{
				if (!emit(sink, "{\"type\":\"error\",\"path\":" + Json::quote(path) + ",\"message\":" + Json::quote(_limitError))) return false;
			}
		}
		else if (event.mask & IN_DELETE)
		{
			if (!send(sink, "remove", path, isDir)) return false;
		}
		else if (event.mask & IN_MOVED_FROM)
		{
			if (!send(sink, "rename", path, isDir)) return false;
			if (isDir)
			{
				// Moved away: what is below it is no longer below the watched tree.
				const std::string prefix = path + "/";
				for (auto d = _dirs.begin(); d != _dirs.end();)
				{
					if (d->second == path || d->second.compare(0, prefix.size(), prefix) == 0)
					{
						::inotify_rm_watch(_fd, d->first);
						d = _dirs.erase(d);
					}
					else ++d;
				}
			}
		}
		else if (event.mask & IN_ATTRIB)
		{
			if (!send(sink, "chmod", path, isDir)) return false;
		}
	}
	return true;
}


bool WatchHandler::flushWrites(SseWriter& sink, bool all)
{
	const auto now = std::chrono::steady_clock::now();
	for (auto it = _writes.begin(); it != _writes.end();)
	{
		if (all || it->second.due <= now)
		{
			const std::string path = it->first;
			it = _writes.erase(it);
			if (!send(sink, "write", path, false)) return false;
		}
		else ++it;
	}
	return true;
}


bool WatchHandler::flushWrite(SseWriter& sink, const std::string& path)
{
	auto it = _writes.find(path);
	if (it == _writes.end()) return true;
	_writes.erase(it);
	return send(sink, "write", path, false);
}


bool WatchHandler::included(const std::string& path) const
{
	return !_include || _include->match(baseName(path));
}


bool WatchHandler::send(SseWriter& sink, const std::string& type, const std::string& path, bool isDir)
{
	if (!included(path)) return sink.isOpen();
	std::string json = "{\"type\":\"" + type + "\",\"path\":" + Json::quote(path);
	struct stat st;
	const bool exists = type != "remove" && type != "rename" && ::lstat(path.c_str(), &st) == 0;
	if (exists) isDir = S_ISDIR(st.st_mode);
	json += std::string(",\"is_dir\":") + (isDir ? "true" : "false");
	if (exists)
	{
		json += ",\"size\":" + std::to_string(static_cast<long long>(st.st_size));
		json += ",\"mtime\":\"" + FileInfoWriter::timestamp(st.st_mtim) + "\"";
	}
	return emit(sink, json);
}


bool WatchHandler::emit(SseWriter& sink, std::string json)
{
	json += ",\"timestamp\":" + std::to_string(Poco::Timestamp().epochMicroseconds() / 1000) + "}";
	return sink.replay(RunJournal::Entry{0, json, false}, false);
}


} } // namespace execd::files
