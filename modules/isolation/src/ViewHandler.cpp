// The per-session file routes (contract §4.3): every path through SessionView,
// every access relative to a directory opened without following links.

#include "ViewHandler.h"
#include "DirectoryWalk.h"
#include "DownloadHandler.h"
#include "FileHandlers.h"
#include "FileSystem.h"
#include "Multipart.h"
#include "NamePattern.h"
#include "RequestBody.h"
#include "Transfer.h"
#include "TreeWalks.h"
#include "Upload.h"
#include "UploadHandler.h"
#include "execd/ApiException.h"
#include "execd/Paths.h"
#include "execd/StreamEvent.h"
#include "Poco/UUIDGenerator.h"
#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <fcntl.h>
#include <functional>
#include <map>
#include <memory>
#include <shared_mutex>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>


namespace execd {
namespace isolation {


namespace {


[[noreturn]] void fileError(int error, const std::string& op, const std::string& path)
	// The isolated routes' errors: the raw error text, ENOENT as 404.
{
	if (error == ENOENT) throw ApiException::notFound(ErrorCode::FILE_NOT_FOUND, Paths::errorText(error, op, path));
	throw ApiException::runtimeError(Paths::errorText(error, op, path));
}


mode_t modeOr(long long digits, mode_t fallback)
	// Octal digits read as decimal (755) as upload and mkdir take them: invalid
	// digits and 0 fall back, as upstream.
{
	if (digits == 0) return fallback;
	try
	{
		return static_cast<mode_t>(files::octalMode(digits));
	}
	catch (Poco::FileException&)
	{
		return fallback;
	}
}


} // namespace


ViewHandler::ViewHandler(RouteMatch match, IsolationService& service, Kind kind):
	JsonHandler(std::move(match)),
	_service(service),
	_kind(kind)
{
}


void ViewHandler::handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
	if (!_service.usable()) throw ApiException(503, ErrorCode::SERVICE_UNAVAILABLE, "isolation unavailable");
	const std::string id = match().param("id");
	std::optional<SessionRegistry::Entry> entry = _service.registry().find(id);
	if (!entry) throw ApiException::notFound(ErrorCode::SESSION_NOT_FOUND, "session not found");
	std::shared_lock<std::shared_timed_mutex> lease(*entry->files);
	// Looked at again under the lease: a teardown that began meanwhile has marked it.
	entry = _service.registry().find(id);
	if (!entry || entry->stopping || !entry->session->alive())
		throw ApiException::runtimeError("isolated session is not active");
	std::optional<SessionView> view;
	try
	{
		view.emplace(entry->session->view());
	}
	catch (Poco::IllegalStateException&)
	{
		throw ApiException::runtimeError("isolated session is not active");
	}
	serve(*view, request, response);
}


void ViewHandler::serve(const SessionView& view, Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
	switch (_kind)
	{
	case Kind::INFO: info(view, request, response); return;
	case Kind::DOWNLOAD: download(view, request, response); return;
	case Kind::UPLOAD: upload(view, request, response); return;
	case Kind::DELETE_FILES: deleteFiles(view, request, response); return;
	case Kind::MOVE: move(view, request, response); return;
	case Kind::PERMISSIONS: permissions(view, request, response); return;
	case Kind::REPLACE: replace(view, request, response); return;
	case Kind::SEARCH: search(view, request, response); return;
	case Kind::LIST: list(view, request, response); return;
	case Kind::MKDIR: makeDirectories(view, request, response); return;
	case Kind::RMDIR: removeDirectories(view, request, response); return;
	}
}


void ViewHandler::info(const SessionView& view, Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
	std::map<std::string, std::string> entries;   // as sent -> FileInfo, sorted like Go's map encoding
	for (const std::string& raw: QueryParams(request).getAll("path"))
	{
		if (entries.count(raw)) continue;
		SessionView::Location at = view.locate(raw, false);
		struct stat st;
		if (at.error() != 0) fileError(at.error(), "lstat", at.path());
		if (::fstatat(at.dir(), at.name().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) fileError(errno, "lstat", at.path());
		entries.emplace(raw, SessionView::fileInfo(raw, st));
	}
	Http::sendJson(response, files::jsonObject(entries));
}


void ViewHandler::download(const SessionView& view, Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
	QueryParams query(request);
	const std::string raw = query.get("path", "");
	if (raw.empty()) throw ApiException(400, ErrorCode::MISSING_QUERY, "path is required");
	const std::string offset = query.get("offset", "");
	const std::string limit = query.get("limit", "");
	if ((!offset.empty() || !limit.empty()) && !request.get("Range", "").empty())
		throw ApiException::badRequest("line-based reading (offset/limit) and byte range (Range header) are mutually exclusive");
	SessionView::Location at = view.locate(raw, false);
	// O_NONBLOCK: a FIFO must not wait for a writer (send() refuses it).
	Descriptor fd(view.openLeaf(at, O_RDONLY | O_NONBLOCK));
	if (fd.get() < 0) fileError(errno, "open", at.path());
	struct stat st;
	if (::fstat(fd.get(), &st) != 0) fileError(errno, "stat", at.path());
	files::DownloadHandler::send(request, response, fd.get(), at.path(), st, offset, limit);
}


void ViewHandler::placeFile(const SessionView& view, const SessionView::Location& target, int source, std::size_t size, mode_t newMode, bool keepMode)
	// Writes size bytes of source (from its start; -1: none) to a temporary file
	// beside target, owned by the session's identity, and renames it over target.
	// An existing file keeps its mode when keepMode; a new one gets newMode (the
	// umask applies).
{
	if (target.error() != 0) fileError(target.error(), "open", target.path());
	struct stat st;
	const bool exists = ::fstatat(target.dir(), target.name().c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
	if (exists && S_ISLNK(st.st_mode)) SessionView::denySymlink(target.path());
	if (exists && S_ISDIR(st.st_mode)) fileError(EISDIR, "open", target.path());
	std::string temp = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
	temp = ".execd-" + temp.substr(0, 8) + ".tmp";
	int fd = ::openat(target.dir(), temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, newMode);
	if (fd < 0) fileError(errno, "open", target.path());
	int error = 0;
	if (source >= 0 && size > 0) error = ::lseek(source, 0, SEEK_SET) < 0 ? errno : files::Transfer::copyAll(source, fd);
	if (error == 0 && exists && keepMode && ::fchmod(fd, st.st_mode & 07777) != 0) error = errno;
	::close(fd);
	if (error == 0)
	{
		view.own(target.dir(), temp);
		if (::renameat(target.dir(), temp.c_str(), target.dir(), target.name().c_str()) != 0) error = errno;
	}
	if (error != 0)
	{
		::unlinkat(target.dir(), temp.c_str(), 0);
		throw ApiException::runtimeError(Paths::errorText(error, "write", target.path()));
	}
}


void ViewHandler::upload(const SessionView& view, Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
	// The form is read and checked as the classic upload does (its 400s), each file
	// spooled to an anonymous temporary file of execd's; only then is any target
	// written, each beside itself and renamed into place.
{
	const std::string boundary = files::MultipartParser::boundaryOf(request.getContentType());
	if (boundary.empty() || !Http::hasBody(request))
		throw ApiException::badRequest("multipart form is empty", ErrorCode::INVALID_FILE);
	struct Spool
	{
		std::unique_ptr<Descriptor> fd;
		std::size_t size = 0;
	};
	std::vector<std::string> metadata;
	std::vector<Spool> spools;
	std::size_t parts = 0;
	std::size_t metadataBytes = 0;
	const char* tmp = std::getenv("TMPDIR");
	const std::string spoolDir = tmp && *tmp ? tmp : "/tmp";
	try
	{
		files::MultipartParser parser(request.stream(), boundary);
		files::MultipartParser::Part part;
		while (parser.next(part))
		{
			++parts;
			if (part.name == "metadata")
			{
				if (metadata.size() == MAX_UPLOAD_FILES)
					throw ApiException::badRequest("more than " + std::to_string(MAX_UPLOAD_FILES) + " files in one upload", ErrorCode::INVALID_FILE);
				std::string text;
				parser.read([&text, &metadataBytes](const char* data, std::size_t size) {
					if (text.size() + size > files::UploadHandler::METADATA_MAX_BYTES)
						throw ApiException::badRequest("metadata part is larger than 1 MiB", ErrorCode::INVALID_FILE_METADATA);
					metadataBytes += size;
					if (metadataBytes > files::UploadHandler::METADATA_MAX_BYTES)
						throw ApiException::badRequest("the metadata parts are larger than 1 MiB in all", ErrorCode::INVALID_FILE_METADATA);
					text.append(data, size);
				});
				metadata.push_back(std::move(text));
			}
			else if (part.name == "file")
			{
				if (spools.size() == MAX_UPLOAD_FILES)
					throw ApiException::badRequest("more than " + std::to_string(MAX_UPLOAD_FILES) + " files in one upload", ErrorCode::INVALID_FILE);
				std::string name = spoolDir + "/execd-upload-XXXXXX";
				int fd = ::mkostemp(&name[0], O_CLOEXEC);
				if (fd < 0) throw ApiException::runtimeError(Paths::errorText(errno, "open", spoolDir));
				::unlink(name.c_str());
				Spool spool;
				spool.fd = std::make_unique<Descriptor>(fd);
				int error = 0;
				std::size_t& size = spool.size;
				parser.read([fd, &error, &size](const char* data, std::size_t n) {
					if (error == 0) error = files::Transfer::writeAll(fd, data, n);
					size += n;
				});
				if (error != 0)
				{
					if (error == ENOSPC) throw ApiException(507, ErrorCode::RUNTIME_ERROR, "upload failed: " + Paths::errorText(error, "write", spoolDir));
					throw ApiException::runtimeError(Paths::errorText(error, "write", spoolDir));
				}
				spools.push_back(std::move(spool));
			}
			else
			{
				parser.read([](const char*, std::size_t) {});
			}
		}
	}
	catch (Poco::DataFormatException& exc)
	{
		throw ApiException::badRequest("invalid multipart body: " + exc.message(), ErrorCode::INVALID_FILE);
	}
	if (parts == 0) throw ApiException::badRequest("multipart form is empty", ErrorCode::INVALID_FILE);
	if (metadata.empty()) throw ApiException::badRequest("metadata file is missing", ErrorCode::INVALID_FILE_METADATA);
	if (spools.empty()) throw ApiException::badRequest("file is missing", ErrorCode::INVALID_FILE_CONTENT);
	if (metadata.size() != spools.size())
		throw ApiException::badRequest("metadata and file count mismatch: " + std::to_string(metadata.size()) + " vs " + std::to_string(spools.size()), ErrorCode::INVALID_FILE);
	std::vector<std::unique_ptr<files::Upload>> described;
	for (const std::string& text: metadata)
	{
		described.push_back(std::make_unique<files::Upload>());
		described.back()->describe(text);
		if (described.back()->error()) throw *described.back()->error();
	}
	view.requireWritable("write");
	for (std::size_t i = 0; i < described.size(); ++i)
	{
		// owner and group are ignored: what the proxy writes belongs to the session.
		SessionView::Location at = view.locate(described[i]->target(), true);
		placeFile(view, at, spools[i].fd->get(), spools[i].size, modeOr(described[i]->permission().mode, 0644), true);   // an existing file keeps its mode
	}
	Http::sendEmpty(response);
}


void ViewHandler::deleteFiles(const SessionView& view, Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
	const std::vector<std::string> paths = QueryParams(request).getAll("path");
	if (!paths.empty()) view.requireWritable("remove");
	for (const std::string& raw: paths)
	{
		SessionView::Location at = view.locate(raw, false);
		if (at.error() != 0) throw ApiException::runtimeError("file does not exist");
		if (at.name() == ".") throw ApiException::runtimeError(Paths::errorText(EBUSY, "remove", at.path()));
		if (::unlinkat(at.dir(), at.name().c_str(), 0) == 0) continue;
		int error = errno;
		if (error == EISDIR && ::unlinkat(at.dir(), at.name().c_str(), AT_REMOVEDIR) == 0) continue;
		if (error == EISDIR) error = errno;
		if (error == ENOENT) throw ApiException::runtimeError("file does not exist");
		throw ApiException::runtimeError(Paths::errorText(error, "remove", at.path()));
	}
	Http::sendEmpty(response);
}


void ViewHandler::move(const SessionView& view, Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
	const std::vector<std::pair<std::string, std::string>> moves = files::MoveHandler::moves(request);
	if (!moves.empty()) view.requireWritable("rename");
	for (const auto& m: moves)
	{
		SessionView::Location from = view.locate(m.first, false);
		struct stat st;
		if (from.error() != 0) fileError(from.error(), "open", from.path());
		if (::fstatat(from.dir(), from.name().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) fileError(errno, "open", from.path());
		SessionView::Location to = view.locate(m.second, true);
		if (to.error() != 0) throw ApiException::runtimeError(Paths::errorText(to.error(), "mkdir", to.path()));
		// rename(2) replaces an existing destination, as upstream's proxy does.
		if (::renameat(from.dir(), from.name().c_str(), to.dir(), to.name().c_str()) != 0)
			throw ApiException::runtimeError(Paths::errorText(errno, "rename", from.path() + " " + to.path()));
	}
	Http::sendEmpty(response);
}


void ViewHandler::permissions(const SessionView& view, Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
	// Only the mode counts (owner and group are ignored); 0 is no change.
{
	std::vector<std::pair<std::string, mode_t>> changes;
	for (const auto& e: files::RequestBody::permissions(request))
	{
		if (e.second.mode == 0) continue;
		try
		{
			changes.emplace_back(e.first, static_cast<mode_t>(files::octalMode(e.second.mode)));
		}
		catch (Poco::FileException& exc)
		{
			throw ApiException::badRequest("invalid mode for " + e.first + ": " + exc.message());
		}
	}
	if (!changes.empty()) view.requireWritable("chmod");
	for (const auto& c: changes)
	{
		SessionView::Location at = view.locate(c.first, false);
		Descriptor fd(view.openLeaf(at, O_PATH));
		if (fd.get() < 0) throw ApiException::runtimeError(Paths::errorText(errno, "chmod", at.path()));
		// An O_PATH descriptor takes no fchmod(): its /proc name does, and cannot
		// be swapped for a link meanwhile.
		// A file with other hard links may be one the session linked in from
		// outside its workspace: its mode is not the session's to change.
		struct stat st;
		if (::fstat(fd.get(), &st) != 0) throw ApiException::runtimeError(Paths::errorText(errno, "chmod", at.path()));
		if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) throw ApiException::runtimeError("hard link target denied: " + at.path());
		const std::string self = "/proc/self/fd/" + std::to_string(fd.get());
		if (::fchmodat(AT_FDCWD, self.c_str(), c.second, 0) != 0) throw ApiException::runtimeError(Paths::errorText(errno, "chmod", at.path()));
	}
	Http::sendEmpty(response);
}


void ViewHandler::replace(const SessionView& view, Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
	struct Edit
	{
		std::string raw;
		std::string oldText;
		std::string newText;
		std::size_t count = 0;
	};
	std::vector<Edit> edits;
	Poco::JSON::Object::Ptr pBody = files::RequestBody::object(request);
	for (const std::string& key: files::RequestBody::sortedKeys(pBody))
	{
		JsonBody entry = files::RequestBody::entry(pBody, key);
		Edit edit;
		edit.raw = key;
		edit.oldText = entry.getString("old").value_or("");
		edit.newText = entry.getString("new").value_or("");
		// Before any file is read, as upstream.
		if (edit.oldText.empty()) throw ApiException::badRequest("old content must not be empty");
		edits.push_back(std::move(edit));
	}
	if (!edits.empty()) view.requireWritable("write");
	for (Edit& edit: edits)
	{
		SessionView::Location at = view.locate(edit.raw, false);
		Descriptor fd(view.openLeaf(at, O_RDONLY | O_NONBLOCK));
		if (fd.get() < 0) fileError(errno, "open", at.path());
		struct stat st;
		if (::fstat(fd.get(), &st) != 0) fileError(errno, "stat", at.path());
		if (S_ISDIR(st.st_mode)) fileError(EISDIR, "read", at.path());
		files::Transfer::checkRegular(at.path(), st);
		auto tooLarge = [&at]()
		{
			return ApiException(413, ErrorCode::PAYLOAD_TOO_LARGE, "file " + at.path() + " is larger than " + std::to_string(REPLACE_MAX_BYTES) + " bytes");
		};
		if (static_cast<unsigned long long>(st.st_size) > REPLACE_MAX_BYTES) throw tooLarge();
		std::string content;
		std::vector<char> buffer(files::Transfer::READ_BYTES);
		for (;;)
		{
			ssize_t n = files::Transfer::readSome(fd.get(), buffer.data(), buffer.size());
			if (n < 0) fileError(errno, "read", at.path());
			if (n == 0) break;
			if (content.size() + static_cast<std::size_t>(n) > REPLACE_MAX_BYTES) throw tooLarge();
			content.append(buffer.data(), static_cast<std::size_t>(n));
		}
		std::string edited;
		std::size_t from = 0;
		for (std::size_t at2 = content.find(edit.oldText); at2 != std::string::npos; at2 = content.find(edit.oldText, from))
		{
			edited.append(content, from, at2 - from);
			edited += edit.newText;
			if (edited.size() > REPLACE_MAX_BYTES) throw tooLarge();
			from = at2 + edit.oldText.size();
			++edit.count;
		}
		edited.append(content, from, std::string::npos);
		if (edited.size() > REPLACE_MAX_BYTES) throw tooLarge();
		// The edit goes through a memory-backed file to the same placing as uploads.
		Descriptor memory(::memfd_create("execd-replace", MFD_CLOEXEC));
		if (memory.get() < 0) throw ApiException::runtimeError(Paths::errorText(errno, "memfd_create", at.path()));
		if (int error = files::Transfer::writeAll(memory.get(), edited.data(), edited.size()))
			throw ApiException::runtimeError(Paths::errorText(error, "write", at.path()));
		placeFile(view, at, memory.get(), edited.size(), st.st_mode & 07777, true);
	}
	if (QueryParams(request).get("verbose", "") != "true")
	{
		Http::sendEmpty(response);   // the SDK's replaceContentsDetailed sends no verbose and expects []
		return;
	}
	std::vector<std::pair<std::string, std::string>> counts;
	for (const Edit& edit: edits) counts.emplace_back(edit.raw, "{\"replacedCount\":" + std::to_string(edit.count) + "}");
	Http::sendJson(response, files::jsonObject(counts));
}


void ViewHandler::search(const SessionView& view, Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
	// Every file below the root whose base name matches, FileInfo path relative
	// to the workspace, sorted. A missing root or a malformed pattern is [].
{
	QueryParams query(request);
	const std::string raw = files::requiredPath(query);
	const std::string pattern = query.get("pattern", "");
	const NamePattern matcher(pattern.empty() ? "**" : pattern);
	std::vector<std::pair<std::string, std::string>> found;   // relative path -> FileInfo
	std::string ignored;
	const int fd = matcher.valid() ? view.openDirectory(raw, ignored) : -1;
	if (fd >= 0)
	{
		const std::string root = view.relative(raw);
		files::WalkBudget budget(request, WALK_MAX_ENTRIES, "search");
		try
		{
			files::DirectoryWalk walk(fd, root);
			for (files::DirectoryWalk::Step step = walk.next(); step != files::DirectoryWalk::END; step = walk.next())
			{
				if (step != files::DirectoryWalk::ENTRY) continue;
				budget.count();
				struct stat st;
				if (walk.stat(st) != 0) continue;
				if (S_ISDIR(st.st_mode))
				{
					walk.descend();   // an unreadable directory is skipped
					continue;
				}
				if (!matcher.match(walk.name())) continue;
				std::string path = walk.path();
				if (root.empty()) path.erase(0, 1);   // "/name" below the workspace itself
				found.emplace_back(path, SessionView::fileInfo(path, st));
			}
		}
		catch (Poco::FileException&)
		{
			// A directory that vanished or could not be read: what was found stands.
		}
	}
	std::sort(found.begin(), found.end());
	std::string out = "[";
	for (const auto& f: found)
	{
		if (out.size() > 1) out += ',';
		out += f.second;
	}
	out += ']';
	Http::sendJson(response, out);
}


void ViewHandler::list(const SessionView& view, Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
	QueryParams query(request);
	const std::string raw = query.get("path", "");
	if (raw.empty()) throw ApiException(400, ErrorCode::MISSING_QUERY, "missing query parameter 'path'");
	long depth = 1;
	const std::string rawDepth = query.get("depth", "");
	if (!rawDepth.empty())
	{
		char* end = nullptr;
		errno = 0;
		depth = std::strtol(rawDepth.c_str(), &end, 10);
		if (errno != 0 || *end != '\0' || rawDepth[0] == ' ' || depth < INT_MIN || depth > INT_MAX)
			throw ApiException::badRequest("invalid query parameter 'depth': " + rawDepth);
	}
	std::string path;
	const int fd = view.openDirectory(raw, path);
	if (fd < 0 && errno == ENOENT) fileError(ENOENT, "lstat", path);
	std::string out = "[";
	if (fd >= 0 && depth > 0)
	{
		files::WalkBudget budget(request, WALK_MAX_ENTRIES, "list");
		try
		{
			files::DirectoryWalk walk(fd, raw);
			for (files::DirectoryWalk::Step step = walk.next(); step != files::DirectoryWalk::END; step = walk.next())
			{
				if (step != files::DirectoryWalk::ENTRY) continue;
				budget.count();
				struct stat st;
				if (walk.stat(st) != 0) continue;
				if (out.size() > 1) out += ',';
				out += SessionView::fileInfo(walk.path(), st);
				if (S_ISDIR(st.st_mode) && walk.depth() < static_cast<std::size_t>(depth)) walk.descend();
			}
		}
		catch (Poco::FileException&)
		{
			// Read errors other than a missing root are swallowed, as upstream.
		}
	}
	else if (fd >= 0)
	{
		::close(fd);
	}
	out += ']';
	Http::sendJson(response, out);
}


void ViewHandler::makeDirectories(const SessionView& view, Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
	// mkdir -p; the mode (default and invalid: 0755) only for a new directory;
	// the directory is given to the session's identity, also when it existed.
{
	const auto entries = files::RequestBody::permissions(request);
	if (!entries.empty()) view.requireWritable("mkdir");
	for (const auto& e: entries)
	{
		SessionView::Location at = view.locate(e.first, true);
		if (at.error() != 0) fileError(at.error(), "mkdir", at.path());
		if (::mkdirat(at.dir(), at.name().c_str(), modeOr(e.second.mode, 0755)) != 0)
		{
			int error = errno;
			struct stat st;
			if (error != EEXIST || ::fstatat(at.dir(), at.name().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) fileError(error, "mkdir", at.path());
			if (S_ISLNK(st.st_mode)) SessionView::denySymlink(at.path());
			if (!S_ISDIR(st.st_mode)) fileError(ENOTDIR, "mkdir", at.path());
		}
		view.own(at.dir(), at.name());
	}
	Http::sendEmpty(response);
}


void ViewHandler::removeDirectories(const SessionView& view, Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
	// rm -rf of each; a missing one is fine.
{
	const std::vector<std::string> paths = QueryParams(request).getAll("path");
	if (!paths.empty()) view.requireWritable("remove");
	for (const std::string& raw: paths)
	{
		SessionView::Location at = view.locate(raw, false);
		if (at.error() != 0) continue;
		if (at.name() == ".") throw ApiException::runtimeError(Paths::errorText(EBUSY, "remove", at.path()));
		struct stat st;
		if (::fstatat(at.dir(), at.name().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
		{
			if (errno == ENOENT) continue;
			throw ApiException::runtimeError(Paths::errorText(errno, "remove", at.path()));
		}
		int error = 0;
		if (S_ISDIR(st.st_mode))
			error = files::removeTreeAt(at.dir(), at.name(), at.path());
		else if (::unlinkat(at.dir(), at.name().c_str(), 0) != 0 && errno != ENOENT)
			error = errno;
		if (error != 0) throw ApiException::runtimeError(Paths::errorText(error, "remove", at.path()));
	}
	Http::sendEmpty(response);
}


} } // namespace execd::isolation
