// POST /files/upload: streamed to temporary files, in constant memory.

#include "FileHandlers.h"
#include "FileSystem.h"
#include "Multipart.h"
#include "execd/Http.h"
#include "execd/JsonHandler.h"
#include "Poco/JSON/Parser.h"
#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <optional>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>


namespace execd {
namespace files {


namespace {


mode_t processUmask()
{
	static const mode_t mask = [] {
		std::ifstream in("/proc/self/status");
		std::string line;
		while (std::getline(in, line))
			if (line.rfind("Umask:", 0) == 0) return static_cast<mode_t>(std::strtoul(line.c_str() + 6, nullptr, 8));
		return static_cast<mode_t>(022);
	}();
	return mask;
}


class Upload
	/// One file of an upload: written to a temporary file next to its target and
	/// renamed into place only when the whole request has arrived. Whatever is not
	/// committed is removed.
{
public:
	Upload() = default;
	Upload(const Upload&) = delete;
	Upload& operator = (const Upload&) = delete;

	~Upload()
	{
		discard();
	}

	void create(const std::string& dir)
	{
		_temp = (dir == "/" ? std::string() : dir) + "/.execd-upload-XXXXXX";
		_fd = ::mkstemp(&_temp[0]);
		if (_fd < 0)
		{
			int error = errno;
			_temp.clear();
			throwFileError(error, "open", dir);
		}
		::fcntl(_fd, F_SETFD, FD_CLOEXEC);
	}

	void write(const char* data, std::size_t size)
	{
		while (size > 0)
		{
			ssize_t n = ::write(_fd, data, size);
			if (n < 0)
			{
				if (errno == EINTR) continue;
				int error = errno;
				discard();
				if (error == ENOSPC || error == EDQUOT)
					throw ApiException(507, ErrorCode::RUNTIME_ERROR, "error writing file " + _target + ": no space left on device; nothing was written");
				throwFileError(error, "write", _target);
			}
			data += n;
			size -= static_cast<std::size_t>(n);
		}
	}

	void finish()
		/// fsync; a file system that fails it (ENOSPC on delayed allocation) fails the upload.
	{
		if (::fsync(_fd) != 0)
		{
			int error = errno;
			discard();
			if (error == ENOSPC || error == EDQUOT)
				throw ApiException(507, ErrorCode::RUNTIME_ERROR, "error writing file " + _target + ": no space left on device; nothing was written");
			throwFileError(error, "fsync", _target);
		}
	}

	void commit()
		/// Takes an existing file's mode, then renames over the target.
	{
		struct stat st;
		if (::stat(_target.c_str(), &st) == 0)
		{
			if (S_ISDIR(st.st_mode)) throw ApiException::runtimeError("error accessing file: open " + _target + ": is a directory");
			::fchmod(_fd, st.st_mode & 07777);
			::fchown(_fd, st.st_uid, st.st_gid);
		}
		else
		{
			::fchmod(_fd, 0777 & ~processUmask());   // as a new file created with 0777
		}
		::close(_fd);
		_fd = -1;
		if (::rename(_temp.c_str(), _target.c_str()) != 0) throwFileError(errno, "rename", _target);
		_temp.clear();
		int dir = ::open(Paths::dirName(_target).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dir >= 0)
		{
			::fsync(dir);
			::close(dir);
		}
	}

	void discard()
	{
		if (_fd >= 0)
		{
			::close(_fd);
			_fd = -1;
		}
		if (!_temp.empty())
		{
			::unlink(_temp.c_str());
			_temp.clear();
		}
	}

	int descriptor() const
	{
		return _fd;
	}

	void adopt(Upload& other)
		/// Takes over other's temporary file.
	{
		discard();
		_temp = other._temp;
		_fd = other._fd;
		other._temp.clear();
		other._fd = -1;
	}

	std::string _target;           ///< expanded path from the metadata
	Permission _permission;
	std::optional<ApiException> _error;   ///< bad metadata: reported after the structure is checked

private:
	std::string _temp;
	int _fd = -1;
};


void parseMetadata(const std::string& text, Upload& upload)
{
	Poco::JSON::Object::Ptr object;
	try
	{
		Poco::Dynamic::Var value = Poco::JSON::Parser().parse(text);
		if (value.type() != typeid(Poco::JSON::Object::Ptr))
			throw Poco::DataFormatException("json: cannot unmarshal value into Go value of type FileMetadata");
		object = value.extract<Poco::JSON::Object::Ptr>();
	}
	catch (Poco::Exception& exc)
	{
		upload._error = ApiException::badRequest("invalid metadata format. " + exc.message(), ErrorCode::INVALID_FILE_METADATA);
		return;
	}
	try
	{
		JsonBody body(object, "invalid metadata format. ");
		std::string path = body.getString("path").value_or("");
		if (path.empty())
		{
			upload._error = ApiException::badRequest("metadata path is empty", ErrorCode::INVALID_FILE_METADATA);
			return;
		}
		if (path.find('\0') != std::string::npos)
		{
			upload._error = ApiException::badRequest("invalid metadata: the path contains a NUL byte", ErrorCode::INVALID_FILE_METADATA);
			return;
		}
		Paths::checkLimits(path, ErrorCode::INVALID_FILE_METADATA);
		upload._target = path;
		upload._permission = Permission::from(body);
	}
	catch (ApiException& exc)
	{
		upload._error = ApiException::badRequest(exc.message(), ErrorCode::INVALID_FILE_METADATA);
	}
}


std::string targetPath(const std::string& raw)
	// The expanded target of a metadata path, held to the path limits.
{
	std::string path = Paths::expand(raw);
	Paths::checkLimits(path, ErrorCode::INVALID_FILE_METADATA);
	return path;
}


void makeParents(const std::string& dir, const Permission& permission)
	// The missing directories above a target, owned as the metadata says;
	// existing ones are left alone.
{
	try
	{
		createOwnedDirectories(dir, permission);
	}
	catch (Poco::FileException& exc)
	{
		throw ApiException::runtimeError("error creating target directory " + dir + ". " + exc.message());
	}
}


class UploadHandler: public JsonHandler
	/// POST /files/upload: pairs the i-th "metadata" part with the i-th "file" part.
{
public:
	using JsonHandler::JsonHandler;

protected:
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override
	{
		std::string boundary = MultipartParser::boundaryOf(request.getContentType());
		if (boundary.empty() || !Http::hasBody(request))
			throw ApiException::badRequest("multipart form is empty", ErrorCode::INVALID_FILE);
		MultipartParser parser(request.stream(), boundary);
		std::vector<std::string> metadata;
		std::vector<std::unique_ptr<Upload>> files;
		std::string spoolDir = std::getenv("TMPDIR") && *std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp";
		std::vector<bool> spooled;
		std::size_t parts = 0;
		try
		{
			MultipartParser::Part part;
			while (parser.next(part))
			{
				++parts;
				if (part.name == "metadata")
				{
					std::string text;
					parser.read([&](const char* data, std::size_t size) {
						if (text.size() + size > 1024 * 1024) throw ApiException::badRequest("metadata part is larger than 1 MiB", ErrorCode::INVALID_FILE_METADATA);
						text.append(data, size);
					});
					metadata.push_back(std::move(text));
				}
				else if (part.name == "file")
				{
					auto upload = std::make_unique<Upload>();
					std::size_t index = files.size();
					bool direct = false;
					if (index < metadata.size())
					{
						// The usual order: its metadata came first, so it is written
						// next to its target at once.
						parseMetadata(metadata[index], *upload);
						if (!upload->_error)
						{
							upload->_target = targetPath(upload->_target);
							std::string dir = Paths::dirName(upload->_target);
							makeParents(dir, upload->_permission);
							upload->create(dir);
							direct = true;
						}
					}
					if (!direct && !upload->_error) upload->create(spoolDir);
					parser.read([&](const char* data, std::size_t size) {
						if (!upload->_error) upload->write(data, size);
					});
					if (!upload->_error) upload->finish();
					spooled.push_back(!direct);
					files.push_back(std::move(upload));
				}
				else
				{
					parser.read([](const char*, std::size_t) {});
				}
			}
		}
		catch (Poco::DataFormatException& exc)
		{
			// Malformed or cut off: nothing was committed and the temporary files go.
			throw ApiException::badRequest("invalid multipart body: " + exc.message(), ErrorCode::INVALID_FILE);
		}
		if (parts == 0) throw ApiException::badRequest("multipart form is empty", ErrorCode::INVALID_FILE);
		if (metadata.empty()) throw ApiException::badRequest("metadata file is missing", ErrorCode::INVALID_FILE_METADATA);
		if (files.empty()) throw ApiException::badRequest("file is missing", ErrorCode::INVALID_FILE_CONTENT);
		if (metadata.size() != files.size())
			throw ApiException::badRequest("metadata and file count mismatch: " + std::to_string(metadata.size()) + " vs " + std::to_string(files.size()), ErrorCode::INVALID_FILE);
		for (std::size_t i = 0; i < files.size(); ++i)
		{
			Upload& u = *files[i];
			if (spooled[i] && !u._error)
			{
				// Its metadata came after it: the metadata is read now, and the
				// spooled bytes copied next to the target.
				parseMetadata(metadata[i], u);
				if (!u._error) u._target = targetPath(u._target);
			}
			if (u._error) throw *u._error;
		}
		// Every file has arrived: check If-Match for all before replacing any.
		for (auto& u: files)
		{
			struct stat st;
			bool exists = ::stat(u->_target.c_str(), &st) == 0;
			if (request.has("If-Match") && !ifMatchPasses(request.get("If-Match"), exists ? &st : nullptr))
				throw ApiException(412, ErrorCode::PRECONDITION_FAILED, "the file changed: " + u->_target + " no longer has the ETag in If-Match");
		}
		for (std::size_t i = 0; i < files.size(); ++i)
		{
			Upload& u = *files[i];
			if (spooled[i]) respool(u);
			u.commit();
			// As upstream: after the file is in place (so a failure leaves it
			// written), with one retry for slow file systems.
			try
			{
				applyPermission(u._target, u._permission);
			}
			catch (Poco::FileException&)
			{
				std::this_thread::sleep_for(std::chrono::milliseconds(20));
				try
				{
					applyPermission(u._target, u._permission);
				}
				catch (Poco::FileException& exc)
				{
					throw ApiException::runtimeError("error chmoding file " + u._target + ". " + exc.message());
				}
			}
		}
		Http::sendEmpty(response);
	}

private:
	static void respool(Upload& u)
		// A file spooled before its metadata was known: copied next to its target.
	{
		std::string dir = Paths::dirName(u._target);
		makeParents(dir, u._permission);
		Upload copy;
		copy._target = u._target;
		copy.create(dir);
		u.finish();
		// The spooled file's descriptor is still open: read it back from the start.
		int fd = u.descriptor();
		::lseek(fd, 0, SEEK_SET);
		char buffer[256 * 1024];
		for (;;)
		{
			ssize_t n = ::read(fd, buffer, sizeof(buffer));
			if (n < 0 && errno == EINTR) continue;
			if (n < 0) throwFileError(errno, "read", u._target);
			if (n == 0) break;
			copy.write(buffer, static_cast<std::size_t>(n));
		}
		copy.finish();
		u.discard();
		u.adopt(copy);
	}
};


} // namespace


std::unique_ptr<Poco::Net::HTTPRequestHandler> makeUploadHandler(const RouteMatch& match)
{
	return std::make_unique<UploadHandler>(match);
}


} } // namespace execd::files
