#include "Transfer.h"
#include "FileSystem.h"
#include "execd/ApiException.h"
#include "execd/Paths.h"
#include "Poco/DateTime.h"
#include "Poco/DateTimeParser.h"
#include "Poco/Exception.h"
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <unistd.h>
#include <vector>


namespace execd {
namespace files {


const std::string Transfer::BYTES_TYPE = "application/octet-stream";
const std::string Transfer::LINES_TYPE = "text/plain; charset=utf-8";


ssize_t Transfer::readSome(int fd, char* buffer, std::size_t size)
{
	for (;;)
	{
		ssize_t n = ::read(fd, buffer, size);
		if (n < 0 && errno == EINTR) continue;
		return n;
	}
}


int Transfer::writeAll(int fd, const char* data, std::size_t size)
{
	while (size > 0)
	{
		ssize_t n = ::write(fd, data, size);
		if (n < 0 && errno == EINTR) continue;
		if (n < 0) return errno;
		data += n;
		size -= static_cast<std::size_t>(n);
	}
	return 0;
}


int Transfer::copyAll(int from, int to, unsigned long long limit)
{
	for (;;)
	{
		if (limit == 0) return 0;
		ssize_t n = ::copy_file_range(from, nullptr, to, nullptr, static_cast<std::size_t>(std::min<unsigned long long>(limit, 1ULL << 30)), 0);
		if (n == 0) return 0;
		if (n > 0)
		{
			limit -= static_cast<unsigned long long>(n);
			continue;
		}
		if (errno == EINTR) continue;
		if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP) return errno;
		break;   // no in-kernel copy between these files: by hand, from where it stopped
	}
	std::vector<char> buffer(COPY_BYTES);
	while (limit > 0)
	{
		ssize_t n = readSome(from, buffer.data(), static_cast<std::size_t>(std::min<unsigned long long>(limit, buffer.size())));
		if (n < 0) return errno;
		if (n == 0) return 0;
		if (int error = writeAll(to, buffer.data(), static_cast<std::size_t>(n))) return error;
		limit -= static_cast<unsigned long long>(n);
	}
	return 0;
}


void Transfer::checkRegular(const std::string& path, const struct stat& st)
{
	if (!S_ISREG(st.st_mode)) throw ApiException::badRequest("path is not a regular file: " + path);
}


void Transfer::checkIfMatch(const Poco::Net::HTTPServerRequest& request, const std::string& path, const struct stat* st)
{
	if (request.has("If-Match") && !ifMatchPasses(request.get("If-Match"), st))
		throw ApiException(412, ErrorCode::PRECONDITION_FAILED, "the file changed: " + path + " no longer has the ETag in If-Match");
}


std::string Transfer::contentDisposition(const std::string& path)
{
	std::string name = Paths::baseName(path);
	bool ascii = true;
	for (unsigned char c: name)
		if (c >= 0x80) ascii = false;
	if (ascii)
	{
		std::string quoted;
		for (char c: name)
		{
			if (c == '"' || c == '\\') quoted += '\\';
			quoted += c;
		}
		return "attachment; filename=\"" + quoted + "\"";
	}
	static const char HEX[] = "0123456789ABCDEF";
	std::string encoded;
	for (unsigned char c: name)
	{
		if (std::isalnum(c) || std::strchr("-._~$&+=:@", c))
		{
			encoded += static_cast<char>(c);
		}
		else
		{
			encoded += '%';
			encoded += HEX[c >> 4];
			encoded += HEX[c & 15];
		}
	}
	return "attachment; filename=\"" + encoded + "\"; filename*=UTF-8''" + encoded;
}


std::optional<std::time_t> Transfer::httpDate(const std::string& text)
{
	try
	{
		int tzd = 0;
		Poco::DateTime dt = Poco::DateTimeParser::parse(text, tzd);
		return static_cast<std::time_t>(dt.timestamp().epochTime() - tzd);
	}
	catch (Poco::Exception&)
	{
		return std::nullopt;
	}
}


} } // namespace execd::files
