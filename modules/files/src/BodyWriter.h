#pragma once

#include "Poco/Net/HTTPServerRequest.h"
#include "Poco/Net/HTTPServerResponse.h"
#include <cstddef>
#include <vector>


namespace execd {
namespace files {


class BodyWriter
	/// A response body whose length is not known in advance, written straight to the
	/// client's socket in pieces of up to BUFFER_BYTES (POCO's response stream sends
	/// 4 KiB chunks). A body that is complete within the first buffer goes out with
	/// Content-Length, as Go's net/http does for a short body; a longer one is
	/// chunked, or close-delimited for an HTTP/1.0 client.
{
public:
	static constexpr std::size_t BUFFER_BYTES = 64 * 1024;

	BodyWriter(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);
		/// The response's status and headers are set; nothing is sent before the
		/// first buffer is full or close() is called.

	BodyWriter(const BodyWriter&) = delete;
	BodyWriter& operator = (const BodyWriter&) = delete;

	void write(const char* data, std::size_t size);
		/// Buffers data, sending each full buffer. Throws Poco::IOException when the
		/// client cannot be written to (it has gone, or read nothing for the send
		/// timeout); the connection is reset then.

	void close();
		/// The body is complete: what is buffered goes out. Throws as write() does.

	void abort();
		/// The body cannot be completed. Once the head has gone out, the connection
		/// is reset without the last chunk, so that the client sees a body cut off
		/// rather than one that looks complete.

	bool started() const;
		/// The head has been sent.

	bool clientGone() const;
		/// The client has closed its connection (files::clientGone()): for work that
		/// writes nothing for a long time.

private:
	static constexpr std::size_t HEAD_ROOM = 18;   ///< the chunk size line: 16 hex digits and CRLF

	void sendChunk();
	void sendAll(const char* data, std::size_t size);

	Poco::Net::HTTPServerResponse& _response;
	int _socket;
	std::vector<char> _buffer;   ///< HEAD_ROOM bytes, up to BUFFER_BYTES of body, 2 for the chunk's CRLF
	std::size_t _size = 0;       ///< body bytes in _buffer
	bool _started = false;
	bool _chunked = false;
};


} } // namespace execd::files
