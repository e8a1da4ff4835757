#include "PtyClient.h"
#include "Poco/Exception.h"


namespace execd {
namespace pty {


PtyClient::PtyClient(Poco::Net::WebSocket& socket):
	_socket(socket)
{
}


bool PtyClient::send(const char* data, std::size_t size, int flags)
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (_closed) return false;
	try
	{
		_socket.sendFrame(data, static_cast<int>(size), flags);
		return true;
	}
	catch (Poco::Exception&)
	{
		_closed = true;
		try
		{
			_socket.shutdown();
		}
		catch (...)
		{
		}
		return false;
	}
}


bool PtyClient::sendBinary(unsigned char channel, const char* data, std::size_t size)
{
	std::string frame;
	frame.reserve(size + 1);
	frame += static_cast<char>(channel);
	frame.append(data, size);
	return send(frame.data(), frame.size(), Poco::Net::WebSocket::FRAME_BINARY);
}


bool PtyClient::sendText(const std::string& json)
{
	return send(json.data(), json.size(), Poco::Net::WebSocket::FRAME_TEXT);
}


bool PtyClient::sendPing()
{
	return send("", 0, Poco::Net::WebSocket::FRAME_FLAG_FIN | Poco::Net::WebSocket::FRAME_OP_PING);
}


void PtyClient::close(int code, const std::string& reason)
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (_closed) return;
	_closed = true;
	try
	{
		std::string payload;
		payload += static_cast<char>((code >> 8) & 0xFF);
		payload += static_cast<char>(code & 0xFF);
		payload += reason;
		_socket.setSendTimeout(Poco::Timespan(0, 200000));
		_socket.sendFrame(payload.data(), static_cast<int>(payload.size()), Poco::Net::WebSocket::FRAME_FLAG_FIN | Poco::Net::WebSocket::FRAME_OP_CLOSE);
		// Only our side: the client may still answer the close frame, which the
		// connection's reader takes (a socket closed with unread data resets).
		_socket.shutdownSend();
	}
	catch (...)
	{
		try
		{
			_socket.shutdown();
		}
		catch (...)
		{
		}
	}
}


void PtyClient::shutdown()
{
	std::lock_guard<std::mutex> lock(_mutex);
	_closed = true;
	try
	{
		_socket.shutdown();
	}
	catch (...)
	{
	}
}


bool PtyClient::closed() const
{
	return _closed;
}


} } // namespace execd::pty
