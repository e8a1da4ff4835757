#include "FileHandlers.h"
#include "FileSystem.h"
#include "Glob.h"
#include "execd/Http.h"
#include "execd/JsonHandler.h"
#include "execd/StreamEvent.h"
#include "Poco/JSON/Array.h"
#include "Poco/JSON/Parser.h"
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
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


Permission permissionOf(const JsonBody& body)
{
	Permission p;
	p.owner = body.getString("owner").value_or("");
	p.group = body.getString("group").value_or("");
	p.mode = body.getInt("mode", -2147483648LL, 2147483647LL).value_or(0);
	return p;
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
		entries.emplace_back(raw, permissionOf(entryObject(body, raw)));
	}
	return entries;
}


void mkdirAll(const std::string& path, mode_t mode)
	// mkdir -p; throws the fileErr of the component that fails.
{
	struct stat st;
	if (::stat(path.c_str(), &st) == 0)
	{
		if (S_ISDIR(st.st_mode)) return;
		throwFileError(ENOTDIR, "mkdir", path);
	}
	std::string parent = Paths::dirName(path);
	if (parent != path && parent != "." && parent != "/") mkdirAll(parent, mode);
	if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) throwFileError(errno, "mkdir", path);
}


std::vector<std::string> sortedEntries(const std::string& dir, int& error)
	// The names in dir, sorted bytewise, without "." and "..".
{
	std::vector<std::string> names;
	error = 0;
	DIR* d = ::opendir(dir.c_str());
	if (!d)
	{
		error = errno;
		return names;
	}
	while (struct dirent* e = ::readdir(d))
	{
		if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
		names.emplace_back(e->d_name);
	}
	::closedir(d);
	std::sort(names.begin(), names.end());
	return names;
}


std::string join(const std::string& dir, const std::string& name)
{
	return dir == "/" ? "/" + name : dir + "/" + name;
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
			catch (ApiException& exc)
			{
				throw ApiException::runtimeError("error changing permissions for " + path + ". " + exc.message());
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
			mkdirAll(Paths::dirName(dest), 0755);
			if (::lstat(dest.c_str(), &st) == 0)
				throw ApiException::runtimeError("destination path already exists: " + dest);
			if (::rename(src.c_str(), dest.c_str()) != 0)
				throwFileError(errno, "rename", src + " " + dest);
		}
		Http::sendEmpty(response);
	}
};


// ------------------------------------------------------------ /files/search


class Searcher
	/// The walk of /files/search: sorted names, pre-order, symlinks never
	/// followed, directories never reported, base names matched. Directory file
	/// descriptors and d_type keep it to one lstat per match, as find does.
{
public:
	Searcher(const Glob& glob, std::string& out):
		_glob(glob),
		_out(out)
	{
	}

	void walk(int parent, const std::string& dir, const char* name)
	{
		int fd = ::openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
		{
			if (errno == ENOENT) return;   // vanished meanwhile
			throw ApiException::runtimeError("error searching files. " + errorText(errno, "open", dir));
		}
		DIR* d = ::fdopendir(fd);
		if (!d)
		{
			int error = errno;
			::close(fd);
			throw ApiException::runtimeError("error searching files. " + errorText(error, "open", dir));
		}
		std::vector<std::pair<std::string, unsigned char>> entries;
		while (struct dirent* e = ::readdir(d))
		{
			if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
			entries.emplace_back(e->d_name, e->d_type);
		}
		std::sort(entries.begin(), entries.end());
		for (const auto& entry: entries)
		{
			std::string path = join(dir, entry.first);
			unsigned char type = entry.second;
			struct stat st;
			bool statted = false;
			if (type == DT_UNKNOWN)
			{
				if (::fstatat(fd, entry.first.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
				{
					if (errno == ENOENT) continue;
					int error = errno;
					::closedir(d);
					throw ApiException::runtimeError("error searching files. " + errorText(error, "lstat", path));
				}
				statted = true;
				type = S_ISDIR(st.st_mode) ? DT_DIR : DT_REG;
			}
			try
			{
				if (type == DT_DIR)
					walk(fd, path, entry.first.c_str());
				else
					test(fd, path, entry.first, statted ? &st : nullptr);
			}
			catch (...)
			{
				::closedir(d);
				throw;
			}
		}
		::closedir(d);
	}

	void test(int dirFd, const std::string& path, const std::string& name, const struct stat* known)
	{
		if (!_glob.valid())
			throw ApiException::runtimeError("error searching files. invalid pattern " + _glob.pattern() + ": syntax error in pattern");
		if (!_glob.match(name)) return;
		struct stat st;
		if (known)
			st = *known;
		else if (::fstatat(dirFd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
		{
			if (errno == ENOENT) return;
			throw ApiException::runtimeError("error searching files. " + errorText(errno, "lstat", path));
		}
		_out += _out.size() > 1 ? "," : "";
		FileInfoWriter::append(_out, path, st);
	}

private:
	const Glob& _glob;
	std::string& _out;
};


class SearchHandler: public JsonHandler
{
public:
	using JsonHandler::JsonHandler;

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
		std::string out = "[";
		Searcher searcher(glob, out);
		struct stat lst;
		if (::lstat(root.c_str(), &lst) != 0) throwFileError(errno, "lstat", root);
		if (S_ISDIR(lst.st_mode))
			searcher.walk(AT_FDCWD, root, root.c_str());
		else
			searcher.test(AT_FDCWD, root, Paths::baseName(root), &lst);
		out += ']';
		Http::sendJson(response, out);
	}
};


// ----------------------------------------------------------- /files/replace


class ReplaceHandler: public JsonHandler
{
public:
	using JsonHandler::JsonHandler;

protected:
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override
	{
		QueryParams query(request);
		bool verbose = query.get("verbose", "") == "true";
		auto body = bodyObject(request);
		struct Edit
		{
			std::string raw;
			std::string path;
			std::string oldText;
			std::string newText;
			std::string content;
			std::size_t count = 0;
		};
		std::vector<Edit> edits;
		for (const std::string& raw: sortedKeys(body))
		{
			JsonBody entry = entryObject(body, raw);
			edits.push_back(Edit{raw, "", entry.getString("old").value_or(""), entry.getString("new").value_or(""), "", 0});
		}
		// Everything is read and checked before anything is written: a bad entry
		// or a failed If-Match leaves every file as it was.
		for (Edit& e: edits)
		{
			checkPath(e.raw);
			e.path = Paths::absolute(e.raw);
			struct stat st;
			if (::stat(e.path.c_str(), &st) != 0) throwFileError(errno, "stat", e.path);
			if (S_ISDIR(st.st_mode)) throwFileError(EISDIR, "read", e.path);
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
			}
			out.append(e.content, pos, std::string::npos);
			e.content.swap(out);
		}
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
	static std::string readAll(const std::string& path)
	{
		int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
		if (fd < 0) throwFileError(errno, "open", path);
		std::string data;
		char buffer[65536];
		for (;;)
		{
			ssize_t n = ::read(fd, buffer, sizeof(buffer));
			if (n < 0)
			{
				if (errno == EINTR) continue;
				int error = errno;
				::close(fd);
				throwFileError(error, "read", path);
			}
			if (n == 0) break;
			data.append(buffer, static_cast<std::size_t>(n));
		}
		::close(fd);
		return data;
	}

	static void writeInPlace(const std::string& path, const std::string& content)
	{
		// In place, as upstream: the inode, its owner, mode and hard links stay.
		int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
		if (fd < 0) throwFileError(errno, "open", path);
		std::size_t done = 0;
		while (done < content.size())
		{
			ssize_t n = ::write(fd, content.data() + done, content.size() - done);
			if (n < 0)
			{
				if (errno == EINTR) continue;
				int error = errno;
				::close(fd);
				throwFileError(error, "write", path);
			}
			done += static_cast<std::size_t>(n);
		}
		::fsync(fd);
		::close(fd);
	}
};


// ---------------------------------------------------------- /directories


class ListHandler: public JsonHandler
	/// GET /directories/list?path=&depth=
{
public:
	using JsonHandler::JsonHandler;

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
		if (depth > 0) list(root, 1, depth, out);
		out += ']';
		Http::sendJson(response, out);
	}

private:
	static void list(const std::string& dir, long level, long depth, std::string& out)
	{
		int error = 0;
		std::vector<std::string> names = sortedEntries(dir, error);
		if (error != 0) throw ApiException::runtimeError("error listing directory " + dir + ". " + errorText(error, "open", dir));
		for (const std::string& name: names)
		{
			std::string path = join(dir, name);
			struct stat st;
			if (::lstat(path.c_str(), &st) != 0)
				throw ApiException::runtimeError("error listing directory " + dir + ". " + errorText(errno, "lstat", path));
			if (out.size() > 1) out += ',';
			FileInfoWriter::append(out, path, st);
			if (S_ISDIR(st.st_mode) && level < depth) list(path, level + 1, depth, out);
		}
	}
};


class MakeDirectoriesHandler: public JsonHandler
	/// POST /directories {"<path>": Permission}
{
public:
	using JsonHandler::JsonHandler;

protected:
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override
	{
		for (const auto& e: permissionEntries(request))
		{
			std::string path = Paths::absolute(e.first);
			mkdirAll(path, 0777);
			applyPermission(path, e.second);
		}
		Http::sendEmpty(response);
	}
};


int removeAll(const std::string& path)
	// rm -rf without following symlinks; 0 or the errno of the first failure.
{
	struct stat st;
	if (::lstat(path.c_str(), &st) != 0) return errno == ENOENT ? 0 : errno;
	if (!S_ISDIR(st.st_mode)) return ::unlink(path.c_str()) == 0 || errno == ENOENT ? 0 : errno;
	int error = 0;
	for (const std::string& name: sortedEntries(path, error))
	{
		int e = removeAll(join(path, name));
		if (e != 0) return e;
	}
	if (error != 0 && error != ENOENT) return error;
	return ::rmdir(path.c_str()) == 0 || errno == ENOENT ? 0 : errno;
}


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
			if (path == "." || (path.size() >= 2 && path.compare(path.size() - 2, 2, "/.") == 0))
				throw ApiException::runtimeError("error removing directory " + path + ". " + errorText(EINVAL, "unlinkat", path));
			int error = removeAll(path);
			if (error != 0)
				throw ApiException::runtimeError("error removing directory " + path + ". " + errorText(error, "unlinkat", path));
		}
		Http::sendEmpty(response);
	}
};


} // namespace


std::vector<Route> fileRoutes()
{
	auto make = [](auto tag) {
		using Handler = typename decltype(tag)::type;
		return [](const RouteMatch& m) { return std::unique_ptr<Poco::Net::HTTPRequestHandler>(new Handler(m)); };
	};
	return {
		{"GET", "/files/info", make(std::common_type<InfoHandler>())},
		{"DELETE", "/files", make(std::common_type<DeleteFilesHandler>())},
		{"POST", "/files/permissions", make(std::common_type<PermissionsHandler>())},
		{"POST", "/files/mv", make(std::common_type<MoveHandler>())},
		{"GET", "/files/search", make(std::common_type<SearchHandler>())},
		{"POST", "/files/replace", make(std::common_type<ReplaceHandler>())},
		{"POST", "/files/upload", [](const RouteMatch& m) { return makeUploadHandler(m); }},
		{"GET", "/files/download", [](const RouteMatch& m) { return makeDownloadHandler(m); }},
		{"GET", "/directories/list", make(std::common_type<ListHandler>())},
		{"POST", "/directories", make(std::common_type<MakeDirectoriesHandler>())},
		{"DELETE", "/directories", make(std::common_type<RemoveDirectoriesHandler>())},
	};
}


} } // namespace execd::files
