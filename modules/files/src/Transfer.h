#pragma once

#include "Poco/Net/HTTPServerRequest.h"
#include <cstddef>
#include <ctime>
#include <optional>
#include <string>
#include <sys/stat.h>
#include <sys/types.h>


namespace execd {
namespace files {


class Transfer
	/// What upload, download and replace share about moving a file's bytes: the
	/// sizes they move them in, reads and writes that retry EINTR, the content
	/// types and headers that name a file, and the checks made before a file is
	/// replaced or sent.
{
public:
	static constexpr std::size_t READ_BYTES = 64 * 1024;
		/// The block download and replace read a file in.

	static constexpr std::size_t COPY_BYTES = 256 * 1024;
		/// The block a spooled upload is copied in.

	static constexpr long long SENDFILE_BYTES = 1LL << 30;
		/// The most one sendfile(2) call is asked to send.

	static const std::string BYTES_TYPE;
		/// "application/octet-stream": the Content-Type of a file's bytes.

	static const std::string LINES_TYPE;
		/// "text/plain; charset=utf-8": the Content-Type of a window of its lines.

	static ssize_t readSome(int fd, char* buffer, std::size_t size);
		/// read(2), retried on EINTR: the bytes read, 0 at the end of the file, or
		/// -1 with errno set.

	static int writeAll(int fd, const char* data, std::size_t size);
		/// write(2) until all of data is written, retried on EINTR: 0, or the errno
		/// of the write that failed.

	static int copyAll(int from, int to, unsigned long long limit = ~0ULL);
		/// The rest of from (from its offset), at most limit bytes, to to:
		/// copy_file_range(2), by hand where the kernel cannot (another file
		/// system, a pipe). 0, or the errno.

	static void checkRegular(const std::string& path, const struct stat& st);
		/// 400 INVALID_REQUEST_BODY "path is not a regular file" unless st is a
		/// regular file's.

	static void checkIfMatch(const Poco::Net::HTTPServerRequest& request, const std::string& path, const struct stat* st);
		/// 412 PRECONDITION_FAILED when the request has an If-Match that the file
		/// (st; null for a missing file) does not pass (see ifMatchPasses()).

	static std::string contentDisposition(const std::string& path);
		/// "attachment; filename=..." for the base name of path: quoted when it is
		/// ASCII, percent-encoded with a filename*=UTF-8'' twin otherwise.

	static std::optional<std::time_t> httpDate(const std::string& text);
		/// An HTTP date (any format Poco::DateTimeParser reads) as seconds since the
		/// epoch; nothing when it is not one.
};


} } // namespace execd::files
