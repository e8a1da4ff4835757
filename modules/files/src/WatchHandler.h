#pragma once

#include "FilesSettings.h"
#include "Glob.h"
#include "execd/StreamHandler.h"
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>


namespace execd {
namespace files {


class WatchHandler: public StreamHandler
	/// GET /files/watch?path=&recursive=true&include=<glob>: changes below a
	/// directory as SSE, from inotify, until the client leaves:
	///
	///     {"type":"create|write|remove|rename|chmod","path":"/abs","is_dir":false,"size":12,"mtime":"...Z","timestamp":T}
	///
	/// With recursive, directories created (or moved in) later are watched too,
	/// and what they hold when their watch is set is announced as created. Writes
	/// to a file are coalesced: one "write" per file per COALESCE. A full kernel
	/// queue is said by {"type":"overflow"}, never passed over. A stream watches
	/// at most watchMaxDirectories directories: more at the start is a 400, a
	/// directory past it later is an {"type":"error"} event naming it. The
	/// watches go with the stream, as soon as the client's connection closes.
{
public:
	static constexpr std::chrono::milliseconds COALESCE{50};
	static constexpr std::size_t READ_BYTES = 64 * 1024;

	WatchHandler(const RouteMatch& match, const FilesSettings& settings);
		/// settings must outlive the handler.

protected:
	// execd::StreamHandler
	void stream(Poco::Net::HTTPServerRequest& request, SseWriter& sink) override;
	bool resumable() const override;

private:
	struct Pending
	{
		std::chrono::steady_clock::time_point due;
		bool isDir = false;
	};

	bool watchTree(const std::string& root, bool announce, SseWriter* pSink);
		/// Watches root and, with _recursive, the directories below it, without
		/// following symbolic links. With announce, what is found below root is
		/// sent as "create" events. False once the limit stopped it.
	bool addWatch(const std::string& dir);
	bool handleEvents(const char* data, std::size_t size, SseWriter& sink);
	bool send(SseWriter& sink, const std::string& type, const std::string& path, bool isDir);
	static bool emit(SseWriter& sink, std::string json);
		/// json, an event's object without its end, gets the timestamp and goes
		/// out; false once the client is gone.
	bool flushWrites(SseWriter& sink, bool all);
	bool flushWrite(SseWriter& sink, const std::string& path);
	bool included(const std::string& path) const;

	const FilesSettings& _settings;
	int _fd = -1;   ///< the inotify descriptor, while stream() runs (it owns and closes it)
	bool _recursive = false;
	std::optional<Glob> _include;                 ///< ?include=, matched against base names
	std::unordered_map<int, std::string> _dirs;   ///< watch descriptor -> directory
	std::map<std::string, Pending> _writes;       ///< coalesced writes not yet sent
	std::string _limitError;                      ///< why the last addWatch() failed
	int _limitErrno = 0;                          ///< ... its errno; 0 for watchMaxDirectories
};


} } // namespace execd::files
