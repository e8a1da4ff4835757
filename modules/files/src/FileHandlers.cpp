#include "FileHandlers.h"
#include "FileSystem.h"
#include "Glob.h"
#include "TreeWalks.h"
#include "execd/Http.h"
#include "execd/JsonHandler.h"
#include "execd/StreamEvent.h"
#include "Poco/JSON/Array.h"
#include "Poco/JSON/Parser.h"
#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <map>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>


namespace execd {
namespace files {


namespace {


const std::string PARSE_PREFIX = "error parsing request, MAYBE invalid body format. ";


Poco::Dynamic::Var parseBody(Poco::Net::HTTPServerRequest& request)
	// The request body as JSON (Go semantics: only the first value counts).
{
	std::string text = JsonBody::readBody(request);
	std::size_t start = text.find_first_not_of(" \t\r\n");
	if (start == std::string::npos) throw ApiException::badRequest(PARSE_PREFIX + "EOF");
	std::size_t end = text.find_last_not_of(" \t\r\n");
	if (text.compare(start, end + 1 - start, "null") == 0) return Poco::Dynamic::Var();   // Go: the zero value
	try
	{
		Poco::JSON::Parser parser;
		return parser.parse(text);
	}
	catch (Poco::Exception& exc)
	{
		throw ApiException::badRequest(PARSE_PREFIX + exc.message());
	}
}


Poco::JSON::Object::Ptr bodyObject(Poco::Net::HTTPServerRequest& request)
	// A JSON object body; null is an empty object.
{
	Poco::Dynamic::Var value = parseBody(request);
	if (value.isEmpty()) return new Poco::JSON::Object;
	if (value.type() != typeid(Poco::JSON::Object::Ptr))
		throw ApiException::badRequest(PARSE_PREFIX + "json: cannot unmarshal " + (value.type() == typeid(Poco::JSON::Array::Ptr) ? "array" : "value") + " into Go value of type map");
	return value.extract<Poco::JSON::Object::Ptr>();
}


std::vector<std::string> sortedKeys(const Poco::JSON::Object::Ptr& object)
{
	std::vector<std::string> names;
	object->getNames(names);
	std::sort(names.begin(), names.end());
	return names;
}


JsonBody entryObject(const Poco::JSON::Object::Ptr& object, const std::string& key)
	// object[key] as a JsonBody; null is an empty object, anything else a 400.
{
	Poco::Dynamic::Var value = object->get(key);
	if (value.isEmpty()) return JsonBody(new Poco::JSON::Object, PARSE_PREFIX);
	if (value.type() != typeid(Poco::JSON::Object::Ptr))
		throw ApiException::badRequest(PARSE_PREFIX + "json: cannot unmarshal value of \"" + key + "\" into an object");
	return JsonBody(value.extract<Poco::JSON::Object::Ptr>(), PARSE_PREFIX);
}


std::vector<std::pair<std::string, Permission>> permissionEntries(Poco::Net::HTTPServerRequest& request);


std::vector<std::pair<std::string, Permission>> permissionEntries(Poco::Net::HTTPServerRequest& request)
	// The {"<path>": Permission} body of permissions and mkdir, all decoded and
	// checked before any is applied.
{
	auto body = bodyObject(request);
	std::vector<std::pair<std::string, Permission>> entries;
	for (const std::string& raw: sortedKeys(body))
	{
		checkPath(raw);
		entries.emplace_back(raw, Permission::from(entryObject(body, raw)));
	}
	return entries;
}


// ---------------------------------------------------------------- /files/info


class InfoHandler: public JsonHandler
	/// GET /files/info?path=...&path=...
{
public:
	using JsonHandler::JsonHandler;

protected:
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override
	{
		QueryParams query(request);
		std::map<std::string, std::string> entries;   // raw -> JSON, sorted like Go's map encoding
		std::string tag;
		for (const std::string& raw: query.getAll("path"))
		{
			if (entries.count(raw)) continue;
			checkPath(raw);
			std::string path = Paths::absolute(raw);
			struct stat st;
			if (::lstat(path.c_str(), &st) != 0) throwFileError(errno, "lstat", path);
			std::string json;
			FileInfoWriter::append(json, path, st);
			entries.emplace(raw, std::move(json));
			tag = FileInfoWriter::etag(st);
		}
		std::string out = "{";
		for (const auto& e: entries)
		{
			if (out.size() > 1) out += ',';
			Json::appendString(out, e.first);
			out += ':';
			out += e.second;
		}
		out += '}';
		if (entries.size() == 1) response.set("ETag", tag);
		Http::sendJson(response, out);
	}
};


// ------------------------------------------------------------- DELETE /files


class DeleteFilesHandler: public JsonHandler
{
public:
	using JsonHandler::JsonHandler;

protected:
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override
	{
		QueryParams query(request);
		for (const std::string& raw: query.getAll("path"))
		{
			checkPath(raw);
			std::string path = Paths::absolute(raw);
			struct stat st;
			if (::stat(path.c_str(), &st) != 0)
			{
				if (errno == ENOENT) continue;
				throw ApiException::runtimeError("error removing file " + path + ". " + errorText(errno, "stat", path));
			}
			if (S_ISDIR(st.st_mode))
				throw ApiException::runtimeError("error removing file " + path + ". path is a directory: " + path);
			if (::unlink(path.c_str()) != 0 && errno != ENOENT)
				throw ApiException::runtimeError("error removing file " + path + ". " + errorText(errno, "remove", path));
		}
		Http::sendEmpty(response);
	}
};


// ------------------------------------------------------- /files/permissions


class PermissionsHandler: public JsonHandler
{
public:
	using JsonHandler::JsonHandler;

protected:
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override
	{
		for (const auto& e: permissionEntries(request))
		{
			std::string path = Paths::absolute(e.first);
			try
			{
				applyPermission(path, e.second);
			}
			catch (Poco::FileException& exc)
			{
				// Upstream names the path as the client sent it.
				throw ApiException::runtimeError("error changing permissions for " + e.first + ". " + exc.message());
			}
		}
		Http::sendEmpty(response);
	}
};


// ---------------------------------------------------------------- /files/mv


class MoveHandler: public JsonHandler
{
public:
	using JsonHandler::JsonHandler;

protected:
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override
	{
		Poco::Dynamic::Var value = parseBody(request);
		if (value.isEmpty())
		{
			Http::sendEmpty(response);
			return;
		}
		if (value.type() != typeid(Poco::JSON::Array::Ptr))
			throw ApiException::badRequest(PARSE_PREFIX + "json: cannot unmarshal object into Go value of type []RenameFileItem");
		auto items = value.extract<Poco::JSON::Array::Ptr>();
		std::vector<std::pair<std::string, std::string>> moves;
		for (std::size_t i = 0; i < items->size(); ++i)
		{
			Poco::Dynamic::Var item = items->get(static_cast<unsigned>(i));
			if (item.isEmpty())
			{
				moves.emplace_back("", "");
				continue;
			}
			if (item.type() != typeid(Poco::JSON::Object::Ptr))
				throw ApiException::badRequest(PARSE_PREFIX + "json: cannot unmarshal value into Go value of type RenameFileItem");
			JsonBody entry(item.extract<Poco::JSON::Object::Ptr>(), PARSE_PREFIX);
			moves.emplace_back(entry.getString("src").value_or(""), entry.getString("dest").value_or(""));
		}
		for (const auto& m: moves)
		{
			checkPath(m.first);
			checkPath(m.second);
			std::string src = Paths::absolute(m.first);
			std::string dest = Paths::absolute(m.second);
			struct stat st;
			if (::stat(src.c_str(), &st) != 0) throwFileError(errno, "stat", src);
			makeDirectories(Paths::dirName(dest), 0755);
			if (::lstat(dest.c_str(), &st) == 0)
				throw ApiException::runtimeError("destination path already exists: " + dest);
			if (::rename(src.c_str(), dest.c_str()) != 0)
				throwFileError(errno, "rename", src + " " + dest);
		}
		Http::sendEmpty(response);
	}
};


// ------------------------------------------------------------ /files/search


class SearchHandler: public JsonHandler
{
public:
	SearchHandler(const RouteMatch& match, const FilesSettings& settings):
		JsonHandler(match),
		_settings(settings)
	{
	}

protected:
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override
	{
		QueryParams query(request);
		std::string raw = requiredPath(query);
		std::string pattern = query.get("pattern", "");
		if (pattern.empty()) pattern = "**";
		std::string root = Paths::absolute(raw);
		struct stat st;
		if (::stat(root.c_str(), &st) != 0) throwFileError(errno, "stat", root);
		Glob glob(pattern);
		if (glob.status() == Glob::TOO_LONG || glob.status() == Glob::TOO_DEEP)
			throw ApiException::badRequest("invalid query parameter 'pattern': " + glob.message());
		std::string out = "[";
		WalkBudget budget(request, _settings.walkMaxEntries, "search");
		Searcher searcher(glob, budget, out);
		struct stat lst;
		if (::lstat(root.c_str(), &lst) != 0) throwFileError(errno, "lstat", root);
		if (S_ISDIR(lst.st_mode))
			searcher.walk(root);
		else
			searcher.test(AT_FDCWD, root, Paths::baseName(root), &lst);
		out += ']';
		Http::sendJson(response, out);
	}

private:
	const FilesSettings& _settings;
};


// ----------------------------------------------------------- /files/replace


class ReplaceHandler: public JsonHandler
	/// POST /files/replace: regular files only, none larger than replaceMaxBytes
	/// before or after the edit.
{
public:
	ReplaceHandler(const RouteMatch& match, const FilesSettings& settings):
		JsonHandler(match),
		_settings(settings)
	{
	}

protected:
	struct Edit
	{
		std::string raw;
		std::string path;
		std::string oldText;
		std::string newText;
		std::string content;
		std::size_t count = 0;
	};

	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override
	{
		QueryParams query(request);
		bool verbose = query.get("verbose", "") == "true";
		auto body = bodyObject(request);
		std::vector<Edit> edits;
		for (const std::string& raw: sortedKeys(body))
		{
			JsonBody entry = entryObject(body, raw);
			edits.push_back(Edit{raw, "", entry.getString("old").value_or(""), entry.getString("new").value_or(""), "", 0});
		}
		// Everything is read and checked before anything is written: a bad entry
		// or a failed If-Match leaves every file as it was.
		for (Edit& e: edits) prepare(request, e);
		for (const Edit& e: edits) writeInPlace(e.path, e.content);
		if (!verbose)
		{
			Http::sendEmpty(response);
			return;
		}
		std::string out = "{";
		for (const Edit& e: edits)
		{
			if (out.size() > 1) out += ',';
			Json::appendString(out, e.raw);
			out += ":{\"replacedCount\":" + std::to_string(e.count) + "}";
		}
		out += '}';
		Http::sendJson(response, out);
	}

private:
	void prepare(const Poco::Net::HTTPServerRequest& request, Edit& e) const
		// Checks one entry, reads its file and computes the new content.
	{
		checkPath(e.raw);
		e.path = Paths::absolute(e.raw);
		struct stat st;
		if (::stat(e.path.c_str(), &st) != 0) throwFileError(errno, "stat", e.path);
		checkEditable(e.path, st);
		if (request.has("If-Match") && !ifMatchPasses(request.get("If-Match"), &st))
			throw ApiException(412, ErrorCode::PRECONDITION_FAILED, "the file changed: " + e.path + " no longer has the ETag in If-Match");
		e.content = readAll(e.path);
		if (e.oldText.empty()) throw ApiException::badRequest("old content must not be empty");
		std::string out;
		std::size_t pos = 0;
		for (;;)
		{
			std::size_t hit = e.content.find(e.oldText, pos);
			if (hit == std::string::npos) break;
			out.append(e.content, pos, hit - pos);
			out += e.newText;
			pos = hit + e.oldText.size();
			++e.count;
			if (out.size() > _settings.replaceMaxBytes) tooLarge(e.path, "would grow past");
		}
		out.append(e.content, pos, std::string::npos);
		if (out.size() > _settings.replaceMaxBytes) tooLarge(e.path, "would grow past");
		e.content.swap(out);
	}

	void checkEditable(const std::string& path, const struct stat& st) const
		// A directory is upstream's EISDIR (500); a FIFO, device or socket would block
		// or never end, and a file past the limit would not fit.
	{
		if (S_ISDIR(st.st_mode)) throwFileError(EISDIR, "read", path);
		if (!S_ISREG(st.st_mode)) throw ApiException::badRequest("path is not a regular file: " + path);
		if (static_cast<unsigned long long>(st.st_size) > _settings.replaceMaxBytes) tooLarge(path, "is larger than");
	}

	[[noreturn]] void tooLarge(const std::string& path, const std::string& how) const
	{
		throw ApiException(413, ErrorCode::PAYLOAD_TOO_LARGE, "file " + path + " " + how + " " + std::to_string(_settings.replaceMaxBytes)
			+ " bytes, the limit of /files/replace (module.files.replaceMaxBytes)");
	}

	std::string readAll(const std::string& path) const
	{
		// O_NONBLOCK: if a FIFO took the file's place since stat, open does not wait
		// for a writer; fstat then refuses it.
		int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0) throwFileError(errno, "open", path);
		Descriptor closer{fd};
		struct stat st;
		if (::fstat(fd, &st) != 0) throwFileError(errno, "stat", path);
		checkEditable(path, st);
		std::string data;
		char buffer[65536];
		for (;;)
		{
			ssize_t n = ::read(fd, buffer, sizeof(buffer));
			if (n < 0 && errno == EINTR) continue;
			if (n < 0) throwFileError(errno, "read", path);
			if (n == 0) break;
			data.append(buffer, static_cast<std::size_t>(n));
			if (data.size() > _settings.replaceMaxBytes) tooLarge(path, "is larger than");   // it grew meanwhile
		}
		return data;
	}

	static void writeInPlace(const std::string& path, const std::string& content)
	{
		// In place, as upstream: the inode, its owner, mode and hard links stay.
		int fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0) throwFileError(errno, "open", path);
		Descriptor closer{fd};
		struct stat st;
		if (::fstat(fd, &st) != 0) throwFileError(errno, "stat", path);
		if (!S_ISREG(st.st_mode)) throw ApiException::badRequest("path is not a regular file: " + path);
		if (::ftruncate(fd, 0) != 0) throwFileError(errno, "truncate", path);
		std::size_t done = 0;
		while (done < content.size())
		{
			ssize_t n = ::write(fd, content.data() + done, content.size() - done);
			if (n < 0 && errno == EINTR) continue;
			if (n < 0) throwFileError(errno, "write", path);
			done += static_cast<std::size_t>(n);
		}
		::fsync(fd);
	}

	const FilesSettings& _settings;
};


// ---------------------------------------------------------- /directories


class ListHandler: public JsonHandler
	/// GET /directories/list?path=&depth=
{
public:
	ListHandler(const RouteMatch& match, const FilesSettings& settings):
		JsonHandler(match),
		_settings(settings)
	{
	}

protected:
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override
	{
		QueryParams query(request);
		std::string raw = query.get("path", "");
		if (raw.empty()) throw ApiException::missingQuery("path");
		std::string depthText = query.get("depth", "");
		long depth = 1;
		if (!depthText.empty())
		{
			char* end = nullptr;
			errno = 0;
			depth = std::strtol(depthText.c_str(), &end, 10);
			if (errno != 0 || *end != '\0' || depth < 0)
				throw ApiException::badRequest("invalid query parameter 'depth': " + depthText);
		}
		checkPath(raw);
		std::string root = Paths::absolute(raw);
		struct stat st;
		if (::lstat(root.c_str(), &st) != 0) throwFileError(errno, "lstat", root);
		if (S_ISLNK(st.st_mode)) throw ApiException::badRequest("path is a symbolic link, refusing to traverse: " + root);
		if (!S_ISDIR(st.st_mode)) throw ApiException::badRequest("path is not a directory: " + root);
		std::string out = "[";
		WalkBudget budget(request, _settings.walkMaxEntries, "list");
		if (depth > 0) listTree(root, depth, budget, out);
		out += ']';
		Http::sendJson(response, out);
	}

private:
	const FilesSettings& _settings;
};


class MakeDirectoriesHandler: public JsonHandler
	/// POST /directories {"<path>": Permission}: an existing directory is left as
	/// it is; new ones get the owner and group, the leaf the mode.
{
public:
	using JsonHandler::JsonHandler;

protected:
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override
	{
		for (const auto& e: permissionEntries(request))
		{
			try
			{
				makeDirectory(Paths::absolute(e.first), e.second);
			}
			catch (Poco::FileException& exc)
			{
				throwFileError(exc);
			}
		}
		Http::sendEmpty(response);
	}
};


class RemoveDirectoriesHandler: public JsonHandler
	/// DELETE /directories?path=...
{
public:
	using JsonHandler::JsonHandler;

protected:
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override
	{
		QueryParams query(request);
		for (const std::string& raw: query.getAll("path"))
		{
			checkPath(raw);
			std::string path;
			try
			{
				path = Paths::expand(raw);
			}
			catch (ApiException& exc)
			{
				throw ApiException::runtimeError("error resolving directory " + raw + ". " + exc.message());
			}
			if (path.empty()) continue;
			Paths::checkLimits(path);
			if (path == "." || (path.size() >= 2 && path.compare(path.size() - 2, 2, "/.") == 0))
				throw ApiException::runtimeError("error removing directory " + path + ". " + errorText(EINVAL, "unlinkat", path));
			int error = removeTree(path);
			if (error != 0)
				throw ApiException::runtimeError("error removing directory " + path + ". " + errorText(error, "unlinkat", path));
		}
		Http::sendEmpty(response);
	}
};


} // namespace


std::vector<Route> fileRoutes(const FilesSettings& settings)
{
	auto make = [](auto tag) {
		using Handler = typename decltype(tag)::type;
		return [](const RouteMatch& m) { return std::unique_ptr<Poco::Net::HTTPRequestHandler>(new Handler(m)); };
	};
	auto configured = [&settings](auto tag) {
		using Handler = typename decltype(tag)::type;
		const FilesSettings* pSettings = &settings;
		return [pSettings](const RouteMatch& m) { return std::unique_ptr<Poco::Net::HTTPRequestHandler>(new Handler(m, *pSettings)); };
	};
	return {
		{"GET", "/files/info", make(std::common_type<InfoHandler>())},
		{"DELETE", "/files", make(std::common_type<DeleteFilesHandler>())},
		{"POST", "/files/permissions", make(std::common_type<PermissionsHandler>())},
		{"POST", "/files/mv", make(std::common_type<MoveHandler>())},
		{"GET", "/files/search", configured(std::common_type<SearchHandler>())},
		{"POST", "/files/replace", configured(std::common_type<ReplaceHandler>())},
		{"POST", "/files/upload", [](const RouteMatch& m) { return makeUploadHandler(m); }},
		{"GET", "/files/download", [](const RouteMatch& m) { return makeDownloadHandler(m); }},
		{"GET", "/directories/list", configured(std::common_type<ListHandler>())},
		{"POST", "/directories", make(std::common_type<MakeDirectoriesHandler>())},
		{"DELETE", "/directories", make(std::common_type<RemoveDirectoriesHandler>())},
	};
}


} } // namespace execd::files
