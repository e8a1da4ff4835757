#pragma once

#include "Poco/JSON/Object.h"
#include "Poco/Net/HTTPClientSession.h"
#include "Poco/Net/WebSocket.h"
#include "Poco/URI.h"
#include <chrono>
#include <memory>
#include <string>
#include <vector>


namespace execd {
namespace jupyter {


class KernelChannel
	/// The WebSocket to one kernel's channels (shell, iopub, ...) through the
	/// Jupyter server, and the wire encoding of the messages on it: JSON text
	/// frames, or binary frames of raw message parts when the server agrees to the
	/// v1.kernel.websocket.jupyter.org subprotocol. The server signs what it
	/// forwards to the kernel: nothing here is signed.
	///
	/// One thread uses a channel at a time, except for shutdown().
{
public:
	static const std::string V1_PROTOCOL;   ///< "v1.kernel.websocket.jupyter.org"

	explicit KernelChannel(std::string clientSession);
		/// clientSession names this client in the headers and message ids it sends.

	~KernelChannel();

	const std::string& clientSession() const;

	std::string nextId();
		/// A new message id: the client session, '-' and a counter.

	bool isOpen() const;

	void open(const Poco::URI& base, const std::string& token, const std::string& kernelId, bool offerRaw);
		/// Opens base's /api/kernels/<kernelId>/channels with the token, offering the
		/// v1 subprotocol when offerRaw is true. Throws the Poco::Net exceptions of
		/// a failed connection or handshake.

	void close();
		/// Shuts the connection down and forgets it; open() may follow.

	void shutdown();
		/// Shuts the socket down from another thread: the thread in receive()
		/// gets an exception; the objects stay for that thread to close().

	void send(const std::string& channel, const std::string& type, Poco::JSON::Object::Ptr content, const std::string& msgId);
		/// Sends a request of the given type with an empty parent header and metadata.

	Poco::JSON::Object::Ptr receive(std::chrono::milliseconds timeout);
		/// The next message as an object with channel, header, parent_header,
		/// metadata and content; nullptr on timeout. Answers pings. Throws
		/// Poco::Net::ConnectionResetException when the connection closes, and
		/// Poco::DataFormatException or a JSON exception for a malformed message.

	static Poco::JSON::Object::Ptr executeRequest(const std::string& code, bool userCode);
		/// The content of an execute_request. User code is stored in the history
		/// and stops the kernel's queue on an error; execd's own code does neither.

	static Poco::JSON::Object::Ptr header(const std::string& session, const std::string& type, const std::string& msgId);
		/// A message header of protocol version 5.3, dated now.

	static std::string encodeText(const std::string& channel, Poco::JSON::Object::Ptr header, Poco::JSON::Object::Ptr content);
		/// The JSON text frame of a request.

	static std::string encodeBinary(const std::string& channel, Poco::JSON::Object::Ptr header, Poco::JSON::Object::Ptr content);
		/// The v1 binary frame of a request.

	static std::string encodeV1(const std::string& channel, const std::vector<std::string>& parts);
		/// A v1 frame: the number of offsets, the offsets (64-bit little endian),
		/// the channel name, then the message parts.

	static Poco::JSON::Object::Ptr decodeV1(const std::string& frame);
		/// A v1 frame as the object a JSON text frame would have been: channel,
		/// header, parent_header, metadata, content (buffers are not used).
		/// Throws Poco::DataFormatException when truncated or malformed.

	static Poco::JSON::Object::Ptr decode(const std::string& data, bool binary);
		/// A received message: decodeV1() for a binary one, else its JSON.

private:
	std::string _clientSession;
	unsigned _counter = 0;
	std::unique_ptr<Poco::Net::HTTPClientSession> _pSession;
	std::unique_ptr<Poco::Net::WebSocket> _pSocket;
	bool _binary = false;   ///< the server speaks the v1 subprotocol: raw message parts, no JSON re-encoding
};


} } // namespace execd::jupyter
