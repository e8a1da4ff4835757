#include "Upload.h"
#include "Transfer.h"
#include "execd/Http.h"
#include "execd/Paths.h"
#include "Poco/JSON/Parser.h"
#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <sys/stat.h>
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


} // namespace


Upload::Upload() = default;


Upload::~Upload()
{
	discard();
}


void Upload::describe(const std::string& metadata)
{
	Poco::JSON::Object::Ptr object;
	try
	{
		Poco::Dynamic::Var value = Poco::JSON::Parser().parse(metadata);
		if (value.type() != typeid(Poco::JSON::Object::Ptr))
			throw Poco::DataFormatException("json: cannot unmarshal value into Go value of type FileMetadata");
		object = value.extract<Poco::JSON::Object::Ptr>();
	}
	catch (Poco::Exception& exc)
	{
		_error = ApiException::badRequest("invalid metadata format. " + exc.message(), ErrorCode::INVALID_FILE_METADATA);
		return;
	}
	try
	{
		JsonBody body(object, "invalid metadata format. ");
		std::string path = body.getString("path").value_or("");
		if (path.empty())
		{
			_error = ApiException::badRequest("metadata path is empty", ErrorCode::INVALID_FILE_METADATA);
			return;
		}
		if (path.find('\0') != std::string::npos)
		{
			_error = ApiException::badRequest("invalid metadata: the path contains a NUL byte", ErrorCode::INVALID_FILE_METADATA);
			return;
		}
		Paths::checkLimits(path, ErrorCode::INVALID_FILE_METADATA);
		_target = path;
		_permission = Permission::from(body);
	}
	catch (ApiException& exc)
	{
		_error = ApiException::badRequest(exc.message(), ErrorCode::INVALID_FILE_METADATA);
	}
}


void Upload::resolve()
{
	_target = Paths::expand(_target);
	Paths::checkLimits(_target, ErrorCode::INVALID_FILE_METADATA);
}


void Upload::openBesideTarget()
{
	std::string dir = Paths::dirName(_target);
	makeParents(dir, _permission);
	create(dir);
}


void Upload::openSpool(const std::string& dir)
{
	create(dir);
	_spooled = true;
}


void Upload::create(const std::string& dir)
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


void Upload::write(const char* data, std::size_t size)
{
	int error = Transfer::writeAll(_fd, data, size);
	if (error != 0) fail(error, "write");
}


void Upload::finish()
{
	if (::fsync(_fd) != 0) fail(errno, "fsync");
}


void Upload::fail(int error, const std::string& op)
	// A failed write or fsync: nothing of this file stays.
{
	discard();
	if (error == ENOSPC || error == EDQUOT)
		throw ApiException(507, ErrorCode::RUNTIME_ERROR, "error writing file " + _target + ": no space left on device; nothing was written");
	throwFileError(error, op, _target);
}


void Upload::unspool()
{
	Upload copy;
	copy._target = _target;
	copy._permission = _permission;
	copy.openBesideTarget();
	finish();
	// The spooled file's descriptor is still open: read it back from the start.
	::lseek(_fd, 0, SEEK_SET);
	char buffer[Transfer::COPY_BYTES];
	for (;;)
	{
		ssize_t n = Transfer::readSome(_fd, buffer, sizeof(buffer));
		if (n < 0) throwFileError(errno, "read", _target);
		if (n == 0) break;
		copy.write(buffer, static_cast<std::size_t>(n));
	}
	copy.finish();
	adopt(copy);
	_spooled = false;
}


void Upload::commit()
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


void Upload::discard()
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


void Upload::adopt(Upload& other)
	// Takes over other's temporary file; this one's is removed.
{
	discard();
	_temp = other._temp;
	_fd = other._fd;
	other._temp.clear();
	other._fd = -1;
}


bool Upload::spooled() const
{
	return _spooled;
}


const std::string& Upload::target() const
{
	return _target;
}


const Permission& Upload::permission() const
{
	return _permission;
}


const std::optional<ApiException>& Upload::error() const
{
	return _error;
}


} } // namespace execd::files
