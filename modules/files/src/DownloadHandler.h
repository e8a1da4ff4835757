#pragma once

#include "ByteRange.h"
#include "execd/JsonHandler.h"
#include <optional>
#include <string>
#include <sys/stat.h>


namespace execd {
namespace files {


class DownloadHandler: public JsonHandler
	/// GET /files/download?path=: the file's bytes through sendfile(2), with
	/// conditional requests (If-Match is not one of them: If-None-Match,
	/// If-Modified-Since, If-Unmodified-Since) and one byte range (Range, If-Range);
	/// or, with offset or limit, a window of its lines as text, streamed in
	/// constant memory. Line windows and Range are mutually exclusive (400).
{
public:
	using JsonHandler::JsonHandler;

	static constexpr long long GZIP_MIN_BYTES = 512;         ///< smaller files go as they are
	static constexpr std::size_t GZIP_SAMPLE_BYTES = 64 * 1024;
		///< compressed first, to tell: under 90% of it, the file goes gzipped

	static void setGzip(bool enabled);
		/// module.files.gzipDownloads (default true): honour Accept-Encoding: gzip.

	static void send(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response, int fd, const std::string& path,
		const struct stat& st, const std::string& offset, const std::string& limit);
		/// The answer for an open file (fd, st) named path in messages and in
		/// Content-Disposition: its bytes, or with offset or limit (the raw query
		/// values, "" when absent) a window of its lines. The caller has refused
		/// Range with a line window. Also the isolated sessions' download.

protected:
	// execd::JsonHandler
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override;

private:
	static bool acceptsGzip(const Poco::Net::HTTPServerRequest& request);
	static bool worthGzip(int fd, long long size);
	static void sendGzip(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response, int fd, const std::string& path,
		const std::string& tag, const std::string& lastModified);
	static void sendBytes(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response, int fd, const std::string& path, const struct stat& st);
	static bool notModified(const Poco::Net::HTTPServerRequest& request, const struct stat& st, const std::string& tag);
	static void sendNotModified(Poco::Net::HTTPServerResponse& response, const std::string& tag, const std::string& lastModified);
	static bool chooseRange(const Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response, long long size, ByteRange& range);
	static bool rangeApplies(const Poco::Net::HTTPServerRequest& request, const std::string& tag, const struct stat& st);
	static void rangeError(Poco::Net::HTTPServerResponse& response, long long size, const std::string& message);
	static void sendFile(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response, int fd, const std::string& path, const ByteRange& range);
	static void sendLines(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response, int fd, const std::string& path,
		const struct stat& st, const std::string& rawOffset, const std::string& rawLimit);
	static std::optional<long long> lineBound(const std::string& name, const std::string& raw);
};


} } // namespace execd::files
