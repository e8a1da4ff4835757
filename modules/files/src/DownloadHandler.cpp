// GET /files/download: the file's bytes, or a window of its lines, streamed in constant memory.

#include "DownloadHandler.h"
#include "BodyWriter.h"
#include "FileSystem.h"
#include "LineWindow.h"
#include "Transfer.h"
#include "execd/Http.h"
#include "Poco/DateTimeFormat.h"
#include "Poco/DateTimeFormatter.h"
#include "Poco/DeflatingStream.h"
#include "Poco/NumberParser.h"
#include "Poco/String.h"
#include "Poco/Timestamp.h"
#include <algorithm>
#include <atomic>
#include <sstream>
#include <cerrno>
#include <fcntl.h>
#include <sys/sendfile.h>
#include <unistd.h>
#include <vector>


namespace execd {
namespace files {


void DownloadHandler::handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
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
	send(request, response, fd, path, st, offset, limit);
}


void DownloadHandler::send(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response, int fd, const std::string& path,
	const struct stat& st, const std::string& offset, const std::string& limit)
{
	if (!offset.empty() || !limit.empty())
		sendLines(request, response, fd, path, st, offset, limit);
	else
		sendBytes(request, response, fd, path, st);
}


void DownloadHandler::sendBytes(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response, int fd, const std::string& path, const struct stat& st)
{
	if (S_ISDIR(st.st_mode)) throw ApiException::runtimeError("error accessing file: read " + path + ": is a directory");
	Transfer::checkRegular(path, st);
	const long long size = st.st_size;
	const std::string tag = FileInfoWriter::etag(st);
	const std::string lastModified = Poco::DateTimeFormatter::format(Poco::Timestamp::fromEpochTime(st.st_mtim.tv_sec), Poco::DateTimeFormat::HTTP_FORMAT);
	if (notModified(request, st, tag))
	{
		sendNotModified(response, tag, lastModified);
		return;
	}
	ByteRange range;
	range.length = size;
	bool partial = false;
	if (request.has("Range") && rangeApplies(request, tag, st))
	{
		if (!chooseRange(request, response, size, range)) return;
		partial = true;
	}
	response.set("Content-Disposition", Transfer::contentDisposition(path));
	response.setContentType(Transfer::BYTES_TYPE);
	if (!request.has("Range") && acceptsGzip(request) && worthGzip(fd, size))
	{
		sendGzip(request, response, fd, path, tag, lastModified);
		return;
	}
	response.set("ETag", tag);
	if (partial)
	{
		response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_PARTIAL_CONTENT);
		response.set("Content-Range", "bytes " + std::to_string(range.start) + "-" + std::to_string(range.start + range.length - 1) + "/" + std::to_string(size));
	}
	else
	{
		response.set("Accept-Ranges", "bytes");
		response.set("Last-Modified", lastModified);
	}
	response.setContentLength64(range.length);
	response.send().flush();
	sendFile(request, response, fd, path, range);
}


namespace {


std::atomic<bool> gzipEnabled{true};


} // namespace


void DownloadHandler::setGzip(bool enabled)
{
	gzipEnabled = enabled;
}


bool DownloadHandler::worthGzip(int fd, long long size)
	// Compressed data, images, archives: sendfile(2) at the disk's speed beats
	// zlib's few dozen MB/s for nothing saved. The first GZIP_SAMPLE_BYTES tell.
{
	if (size < GZIP_MIN_BYTES) return false;
	std::string sample(static_cast<std::size_t>(std::min<long long>(size, GZIP_SAMPLE_BYTES)), '\0');
	ssize_t n = ::pread(fd, &sample[0], sample.size(), 0);
	if (n <= 0) return false;
	sample.resize(static_cast<std::size_t>(n));
	std::ostringstream out;
	Poco::DeflatingOutputStream deflate(out, Poco::DeflatingStreamBuf::STREAM_GZIP, 1);
	deflate.write(sample.data(), static_cast<std::streamsize>(sample.size()));
	deflate.close();
	return out.str().size() * 10 <= sample.size() * 9;
}


bool DownloadHandler::acceptsGzip(const Poco::Net::HTTPServerRequest& request)
	// Accept-Encoding names gzip (or x-gzip, or *) with a q above 0.
{
	if (!gzipEnabled || !request.has("Accept-Encoding")) return false;
	const std::string value = Poco::toLower(request.get("Accept-Encoding"));
	std::size_t pos = 0;
	while (pos <= value.size())
	{
		std::size_t end = value.find(',', pos);
		if (end == std::string::npos) end = value.size();
		std::string item = value.substr(pos, end - pos);
		pos = end + 1;
		std::string name = Poco::trim(item.substr(0, item.find(';')));
		if (name != "gzip" && name != "x-gzip" && name != "*") continue;
		double q = 1.0;
		std::size_t at = item.find("q=");
		if (at != std::string::npos && !Poco::NumberParser::tryParseFloat(Poco::trim(item.substr(at + 2)), q)) q = 0;
		if (q > 0) return true;
		if (name != "*") return false;   // gzip;q=0: refused, whatever * says
	}
	return false;
}


void DownloadHandler::sendGzip(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response, int fd, const std::string& path,
	const std::string& tag, const std::string& lastModified)
	// The file through zlib at level 1 (as gzip -1), a piece at a time: memory is
	// the read buffer, zlib's state and BodyWriter's buffer, whatever the size.
	// Another representation than the plain one: its own entity tag, no ranges.
{
	class BodySink: public std::streambuf
	{
	public:
		explicit BodySink(BodyWriter& body): _body(body) { }

	protected:
		std::streamsize xsputn(const char* data, std::streamsize size) override
		{
			_body.write(data, static_cast<std::size_t>(size));
			return size;
		}

		int overflow(int c) override
		{
			if (c == traits_type::eof()) return traits_type::not_eof(c);
			char ch = static_cast<char>(c);
			_body.write(&ch, 1);
			return c;
		}

	private:
		BodyWriter& _body;
	};

	response.set("ETag", tag.substr(0, tag.size() - 1) + "-gzip\"");
	response.set("Last-Modified", lastModified);
	response.set("Content-Encoding", "gzip");
	response.set("Vary", "Accept-Encoding");
	BodyWriter body(request, response);
	BodySink sink(body);
	std::ostream raw(&sink);
	raw.exceptions(std::ios::badbit);
	std::vector<char> buffer(Transfer::READ_BYTES);
	::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	std::uint64_t sent = 0;
	try
	{
		Poco::DeflatingOutputStream gzip(raw, Poco::DeflatingStreamBuf::STREAM_GZIP, 1);
		gzip.exceptions(std::ios::badbit);   // a client gone stops the copy at once
		for (;;)
		{
			ssize_t n = Transfer::readSome(fd, buffer.data(), buffer.size());
			if (n < 0)
			{
				int error = errno;
				if (!body.started()) throwFileError(error, "read", path);
				throw Poco::IOException(errorText(error, "read", path));
			}
			if (n == 0) break;
			gzip.write(buffer.data(), n);
			sent += static_cast<std::uint64_t>(n);
		}
		gzip.close();
		body.close();
	}
	catch (ApiException&)
	{
		// Nothing sent yet: the JSON error goes out as it is, not labelled gzip.
		response.erase("Content-Encoding");
		response.erase("Vary");
		response.erase("ETag");
		response.erase("Last-Modified");
		throw;
	}
	catch (std::exception& exc)
	{
		// The client went away, or the file could not be read: a body cut off,
		// never one that looks complete.
		body.abort();
		throw Poco::IOException("gzip download of " + path + " cut off after " + std::to_string(sent) + " bytes: " + exc.what());
	}
}


bool DownloadHandler::notModified(const Poco::Net::HTTPServerRequest& request, const struct stat& st, const std::string& tag)
	// The conditional headers, in RFC 9110's order: throws 412 for a failed
	// If-Unmodified-Since, true when the client's copy is current.
{
	if (request.has("If-Unmodified-Since"))
	{
		auto since = Transfer::httpDate(request.get("If-Unmodified-Since"));
		if (since && st.st_mtim.tv_sec > *since)
			throw ApiException(412, ErrorCode::PRECONDITION_FAILED, "the file was modified after " + request.get("If-Unmodified-Since"));
	}
	if (request.has("If-None-Match"))
	{
		bool current = false;
		for (const std::string& t: entityTags(request.get("If-None-Match")))
		{
			std::string bare = t.compare(0, 2, "W/") == 0 ? t.substr(2) : t;
			// The gzip representation's tag (sendGzip()) names the same content.
			if (t == "*" || bare == tag || bare == tag.substr(0, tag.size() - 1) + "-gzip\"") current = true;
		}
		return current;
	}
	if (request.has("If-Modified-Since"))
	{
		auto since = Transfer::httpDate(request.get("If-Modified-Since"));
		return since && st.st_mtim.tv_sec <= *since;
	}
	return false;
}


void DownloadHandler::sendNotModified(Poco::Net::HTTPServerResponse& response, const std::string& tag, const std::string& lastModified)
{
	response.set("ETag", tag);
	response.set("Last-Modified", lastModified);
	response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_NOT_MODIFIED);
	response.setContentLength(0);
	response.send();
}


bool DownloadHandler::chooseRange(const Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response, long long size, ByteRange& range)
	// The range to serve, or false once a 416 has been sent.
{
	switch (parseRange(request.get("Range"), size, range))
	{
	case RangeResult::INVALID:
		rangeError(response, size, "invalid range: " + request.get("Range"));
		return false;
	case RangeResult::NO_OVERLAP:
		rangeError(response, size, "invalid range: failed to overlap");
		return false;
	case RangeResult::USABLE:
		break;
	}
	return true;
}


bool DownloadHandler::rangeApplies(const Poco::Net::HTTPServerRequest& request, const std::string& tag, const struct stat& st)
	// If-Range: the Range counts only when the validator still matches.
{
	if (!request.has("If-Range")) return true;
	std::string value = Poco::trim(request.get("If-Range"));
	if (!value.empty() && (value[0] == '"' || value.compare(0, 2, "W/") == 0)) return value == tag;
	auto date = Transfer::httpDate(value);
	return date && *date == st.st_mtim.tv_sec;
}


void DownloadHandler::rangeError(Poco::Net::HTTPServerResponse& response, long long size, const std::string& message)
{
	response.set("Content-Range", "bytes */" + std::to_string(size));
	Http::sendJson(response, Http::errorJson(ErrorCode::UNKNOWN, message), 416);
}


void DownloadHandler::sendFile(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response, int fd, const std::string& path, const ByteRange& range)
	// The body after the head: range of fd straight to the client's socket.
{
	int socket = Http::descriptorOf(request);
	off_t at = range.start;
	long long left = range.length;
	while (left > 0)
	{
		ssize_t n = ::sendfile(socket, fd, &at, static_cast<std::size_t>(std::min<long long>(left, Transfer::SENDFILE_BYTES)));
		if (n < 0 && errno == EINTR) continue;
		if (n <= 0)
		{
			// The client went away or stopped reading past the send timeout
			// (EAGAIN), or the file shrank: the connection cannot continue.
			response.setKeepAlive(false);
			throw Poco::IOException("download of " + path + " cut off after " + std::to_string(range.length - left) + " bytes");
		}
		left -= n;
	}
}


void DownloadHandler::sendLines(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response, int fd, const std::string& path,
	const struct stat& st, const std::string& rawOffset, const std::string& rawLimit)
	// The line window, streamed: the file is read in pieces of READ_BYTES and
	// never held, whatever its size or the length of its lines.
{
	const long long offset = lineBound("offset", rawOffset).value_or(1);
	const std::optional<long long> limit = lineBound("limit", rawLimit);
	// A directory opens and reads as nothing, as upstream; a FIFO or a device
	// would block or never end.
	if (!S_ISDIR(st.st_mode)) Transfer::checkRegular(path, st);
	response.setContentType(Transfer::LINES_TYPE);
	BodyWriter body(request, response);
	LineWindow window(offset, limit, [&body](const char* data, std::size_t size) { body.write(data, size); });
	std::vector<char> buffer(S_ISREG(st.st_mode) ? Transfer::READ_BYTES : 0);
	::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	while (!buffer.empty() && !window.done())
	{
		ssize_t n = Transfer::readSome(fd, buffer.data(), buffer.size());
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


std::optional<long long> DownloadHandler::lineBound(const std::string& name, const std::string& raw)
	// offset or limit: nothing when empty, a 400 when not an integer >= 1.
{
	if (raw.empty()) return std::nullopt;
	std::optional<long long> value = LineWindow::parseBound(raw);
	if (!value) throw ApiException::badRequest("invalid query parameter '" + name + "': " + raw);
	return value;
}


} } // namespace execd::files
