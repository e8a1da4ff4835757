#pragma once

#include "Poco/Net/StreamSocket.h"
#include <cstddef>
#include <string>
#include <utility>
#include <vector>


namespace execd {
namespace proxy {


class UpstreamReader
	/// A buffered reader over the connection to the proxied port. Every read is
	/// bounded by the socket's receive timeout (module.proxy.idleTimeoutMillis).
{
public:
	using Headers = std::vector<std::pair<std::string, std::string>>;

	explicit UpstreamReader(Poco::Net::StreamSocket& socket);

	std::size_t available() const;
		/// Bytes buffered and not yet taken.

	bool fill();
		/// Reads what the socket has; false at end of stream.

	std::string line();
		/// One CRLF-terminated line, without the CRLF. Throws
		/// Poco::Net::MessageException when it is too long or the stream ends.

	std::size_t take(char* out, std::size_t max);
		/// Buffered bytes first, then at most one read; 0 at end of stream.

	void readHead(int& status, std::string& reason, Headers& headers);
		/// A status line and its headers (at most 200). Throws
		/// Poco::Net::MessageException when malformed.

private:
	Poco::Net::StreamSocket& _socket;
	std::vector<char> _buffer;
	std::size_t _begin = 0;
	std::size_t _end = 0;
};


void sendAll(Poco::Net::StreamSocket& socket, const char* data, std::size_t size);
	/// Sends everything, in writes of at most 1 MiB; each is bounded by the
	/// socket's send timeout. Throws Poco::IOException when the peer stops reading.


} } // namespace execd::proxy
