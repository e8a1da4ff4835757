// GET /files/download: the file's bytes, or a window of its lines, streamed in constant memory.

#include "BodyWriter.h"
#include "ByteRange.h"
#include "FileHandlers.h"
#include "FileSystem.h"
#include "LineWindow.h"
#include "execd/Http.h"
#include "execd/JsonHandler.h"
#include "Poco/DateTimeFormat.h"
#include "Poco/DateTimeFormatter.h"
#include "Poco/DateTimeParser.h"
#include "Poco/Net/StreamSocket.h"
#include "Poco/String.h"
#include "Poco/Timestamp.h"
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>


namespace execd {
namespace files {


namespace {


std::string contentDisposition(const std::string& path)
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


std::optional<std::time_t> httpDate(const std::string& text)
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


const std::size_t READ_BYTES = 64 * 1024;


class DownloadHandler: public JsonHandler
	/// GET /files/download?path=: the file's bytes through sendfile(2), or with
	/// offset or limit, a window of its lines as text.
{
public:
	using JsonHandler::JsonHandler;

protected:
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override
	{
		QueryParams query(request);
		std::string raw = requiredPath(query);
		std::string path = Paths::expand(raw);
		const std::string offset = query.get("offset", "");
		const std::string limit = query.get("limit", "");
		const bool lines = !offset.empty() || !limit.empty();
		// Before the file is opened, as upstream: this beats a 404.
		if (lines && !request.get("Range", "").empty())
			throw ApiException::badRequest("line-based reading (offset/limit) and byte range (Range header) are mutually exclusive");
		// O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below).
		int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0) throwFileError(errno, "open", path);
		Descriptor closer(fd);
		struct stat st;
		if (::fstat(fd, &st) != 0) throwFileError(errno, "stat", path);
		if (lines)
			sendLines(request, response, fd, path, st, offset, limit);
		else
			sendBytes(request, response, fd, path, st);
	}

private:
	static void sendBytes(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response, int fd, const std::string& path, const struct stat& st)
	{
		if (S_ISDIR(st.st_mode)) throw ApiException::runtimeError("error accessing file: read " + path + ": is a directory");
		if (!S_ISREG(st.st_mode)) throw ApiException::badRequest("path is not a regular file: " + path);
		const long long size = st.st_size;
		const std::string tag = FileInfoWriter::etag(st);
		const std::string lastModified = Poco::DateTimeFormatter::format(Poco::Timestamp::fromEpochTime(st.st_mtim.tv_sec), Poco::DateTimeFormat::HTTP_FORMAT);

		// Conditional requests (RFC 9110 order).
		if (request.has("If-Unmodified-Since"))
		{
			auto since = httpDate(request.get("If-Unmodified-Since"));
			if (since && st.st_mtim.tv_sec > *since)
				throw ApiException(412, ErrorCode::PRECONDITION_FAILED, "the file was modified after " + request.get("If-Unmodified-Since"));
		}
		bool notModified = false;
		if (request.has("If-None-Match"))
		{
			for (const std::string& t: entityTags(request.get("If-None-Match")))
			{
				std::string bare = t.compare(0, 2, "W/") == 0 ? t.substr(2) : t;
				if (t == "*" || bare == tag) notModified = true;
			}
		}
		else if (request.has("If-Modified-Since"))
		{
			auto since = httpDate(request.get("If-Modified-Since"));
			if (since && st.st_mtim.tv_sec <= *since) notModified = true;
		}
		if (notModified)
		{
			response.set("ETag", tag);
			response.set("Last-Modified", lastModified);
			response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_NOT_MODIFIED);
			response.setContentLength(0);
			response.send();
			return;
		}

		long long offset = 0;
		long long length = size;
		bool partial = false;
		if (request.has("Range") && rangeApplies(request, tag, st))
		{
			ByteRange range;
			switch (parseRange(request.get("Range"), size, range))
			{
			case RangeResult::INVALID:
				rangeError(response, size, "invalid range: " + request.get("Range"));
				return;
			case RangeResult::NO_OVERLAP:
				rangeError(response, size, "invalid range: failed to overlap");
				return;
			case RangeResult::USABLE:
				offset = range.start;
				length = range.length;
				partial = true;
				break;
			}
		}
		response.set("Content-Disposition", contentDisposition(path));
		response.set("ETag", tag);
		response.setContentType("application/octet-stream");
		if (partial)
		{
			response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_PARTIAL_CONTENT);
			response.set("Content-Range", "bytes " + std::to_string(offset) + "-" + std::to_string(offset + length - 1) + "/" + std::to_string(size));
		}
		else
		{
			response.set("Accept-Ranges", "bytes");
			response.set("Last-Modified", lastModified);
		}
		response.setContentLength64(length);
		response.send().flush();
		int socket = Http::descriptorOf(request);
		off_t at = offset;
		long long left = length;
		while (left > 0)
		{
			ssize_t n = ::sendfile(socket, fd, &at, static_cast<std::size_t>(std::min<long long>(left, 1 << 30)));
			if (n < 0 && errno == EINTR) continue;
			if (n <= 0)
			{
				// The client went away or stopped reading past the send timeout
				// (EAGAIN), or the file shrank: the connection cannot continue.
				response.setKeepAlive(false);
				throw Poco::IOException("download of " + path + " cut off after " + std::to_string(length - left) + " bytes");
			}
			left -= n;
		}
	}

	static void sendLines(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response, int fd, const std::string& path,
		const struct stat& st, const std::string& rawOffset, const std::string& rawLimit)
		// The line window, streamed: the file is read in pieces of READ_BYTES and
		// never held, whatever its size or the length of its lines.
	{
		const long long offset = lineBound("offset", rawOffset).value_or(1);
		const std::optional<long long> limit = lineBound("limit", rawLimit);
		// A directory opens and reads as nothing, as upstream; a FIFO or a device
		// would block or never end.
		if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) throw ApiException::badRequest("path is not a regular file: " + path);
		response.setContentType("text/plain; charset=utf-8");
		BodyWriter body(request, response);
		LineWindow window(offset, limit, [&body](const char* data, std::size_t size) { body.write(data, size); });
		std::vector<char> buffer(S_ISREG(st.st_mode) ? READ_BYTES : 0);
		::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
		while (!buffer.empty() && !window.done())
		{
			ssize_t n = ::read(fd, buffer.data(), buffer.size());
			if (n < 0 && errno == EINTR) continue;
			if (n < 0)
			{
				// Not a short window that looks complete: an error before the head,
				// a cut-off body after it.
				int error = errno;
				if (!body.started()) throwFileError(error, "read", path);
				body.abort();
				throw Poco::IOException("line window of " + path + " cut off: " + errorText(error, "read", path));
			}
			if (n == 0)
			{
				window.finish();
				break;
			}
			window.feed(buffer.data(), static_cast<std::size_t>(n));
			// Skipping lines sends nothing for a long time: a client that left is
			// noticed here, not only by a failed write.
			if (body.clientGone())
			{
				body.abort();
				throw ApiException(499, ErrorCode::RUNTIME_ERROR, "download cancelled: the client closed its connection");
			}
		}
		body.close();
	}

	static std::optional<long long> lineBound(const std::string& name, const std::string& raw)
		// offset or limit: nothing when empty, a 400 when not an integer >= 1.
	{
		if (raw.empty()) return std::nullopt;
		std::optional<long long> value = LineWindow::parseBound(raw);
		if (!value) throw ApiException::badRequest("invalid query parameter '" + name + "': " + raw);
		return value;
	}

	static bool rangeApplies(const Poco::Net::HTTPServerRequest& request, const std::string& tag, const struct stat& st)
		// If-Range: the Range counts only when the validator still matches.
	{
		if (!request.has("If-Range")) return true;
		std::string value = Poco::trim(request.get("If-Range"));
		if (!value.empty() && (value[0] == '"' || value.compare(0, 2, "W/") == 0)) return value == tag;
		auto date = httpDate(value);
		return date && *date == st.st_mtim.tv_sec;
	}

	static void rangeError(Poco::Net::HTTPServerResponse& response, long long size, const std::string& message)
	{
		response.set("Content-Range", "bytes */" + std::to_string(size));
		Http::sendJson(response, Http::errorJson(ErrorCode::UNKNOWN, message), 416);
	}
};


} // namespace


std::unique_ptr<Poco::Net::HTTPRequestHandler> makeDownloadHandler(const RouteMatch& match)
{
	return std::make_unique<DownloadHandler>(match);
}


} } // namespace execd::files
