#include "BodyWriter.h"
#include "FileSystem.h"
#include "execd/Http.h"
#include "Poco/Exception.h"
#include "Poco/Net/StreamSocket.h"
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/socket.h>


namespace execd {
namespace files {


BodyWriter::BodyWriter(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response):
	_response(response),
	_socket(Http::descriptorOf(request)),
	_buffer(HEAD_ROOM + BUFFER_BYTES + 2)
{
}


void BodyWriter::write(const char* data, std::size_t size)
{
	while (size > 0)
	{
		std::size_t n = std::min(size, BUFFER_BYTES - _size);
		std::memcpy(_buffer.data() + HEAD_ROOM + _size, data, n);
		_size += n;
		data += n;
		size -= n;
		if (_size == BUFFER_BYTES) sendChunk();
	}
}


void BodyWriter::close()
{
	if (!_started)
	{
		// All of it fits in one buffer: headers and body in one write, sized.
		_started = true;
		_response.sendBuffer(_buffer.data() + HEAD_ROOM, _size);
		return;
	}
	if (_size > 0) sendChunk();
	// The last chunk is written by POCO's chunked stream when the response ends.
}


void BodyWriter::abort()
{
	if (_started) Http::resetConnection(_socket);
}


bool BodyWriter::started() const
{
	return _started;
}


bool BodyWriter::clientGone() const
{
	return files::clientGone(_socket);
}


void BodyWriter::sendChunk()
{
	if (!_started)
	{
		_started = true;
		_response.setChunkedTransferEncoding(true);
		_response.send().flush();
		// An HTTP/1.0 client gets the body close-delimited instead.
		_chunked = _response.getChunkedTransferEncoding();
	}
	char* body = _buffer.data() + HEAD_ROOM;
	if (!_chunked)
	{
		sendAll(body, _size);
	}
	else
	{
		// The size line goes right before the body and the CRLF right after it,
		// so that the chunk leaves in one write.
		char line[HEAD_ROOM + 1];
		int length = std::snprintf(line, sizeof(line), "%zx\r\n", _size);
		std::memcpy(body - length, line, static_cast<std::size_t>(length));
		body[_size] = '\r';
		body[_size + 1] = '\n';
		sendAll(body - length, static_cast<std::size_t>(length) + _size + 2);
	}
	_size = 0;
}


void BodyWriter::sendAll(const char* data, std::size_t size)
{
	while (size > 0)
	{
		ssize_t n = ::send(_socket, data, size, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR) continue;
		if (n <= 0)
		{
			// Gone (EPIPE, ECONNRESET), or it read nothing for the send timeout
			// (EAGAIN): the rest of the response, the last chunk included, must
			// not wait for it a second time.
			int error = n < 0 ? errno : 0;
			Http::resetConnection(_socket);
			throw Poco::IOException(std::string("the client stopped taking the body: ") + (error ? std::strerror(error) : "connection closed"));
		}
		data += n;
		size -= static_cast<std::size_t>(n);
	}
}


} } // namespace execd::files
