#pragma once

#include "Poco/Net/WebSocket.h"
#include <atomic>
#include <cstddef>
#include <mutex>
#include <string>


namespace execd {
namespace pty {


class PtyClient
	/// One WebSocket attached to a session. Writes are serialised; each must end
	/// within the write deadline or the connection is dropped.
{
public:
	explicit PtyClient(Poco::Net::WebSocket& socket);

	bool sendBinary(unsigned char channel, const char* data, std::size_t size);
	bool sendText(const std::string& json);
	bool sendPing();
	void close(int code, const std::string& reason);
		/// A close frame (best effort), then the socket is shut down.
	void shutdown();
	bool closed() const;

private:
	bool send(const char* data, std::size_t size, int flags);

	Poco::Net::WebSocket& _socket;
	std::mutex _mutex;
	std::atomic<bool> _closed{false};
};


} } // namespace execd::pty
