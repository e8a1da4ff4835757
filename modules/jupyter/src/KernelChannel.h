#pragma once

#include "KernelLink.h"
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


class JupyterServer;


class KernelChannel: public KernelLink
	/// The WebSocket to one kernel's channels (shell, iopub, ...) through the
	/// Jupyter server, and the wire encoding of the messages on it: JSON text
	/// frames, or binary frames of raw message parts when the server agrees to the
	/// v1.kernel.websocket.jupyter.org subprotocol. The server signs what it
	/// forwards to the kernel: nothing here is signed.
{
public:
	static constexpr int MAX_MESSAGE_BYTES = 256 * 1024 * 1024;   ///< one WebSocket message from the server

	static const std::string V1_PROTOCOL;   ///< "v1.kernel.websocket.jupyter.org"

	explicit KernelChannel(std::string clientSession, JupyterServer* pServer = nullptr, std::string kernelId = "");
		/// A channel to the kernel kernelId of the server (once it answers).

	~KernelChannel() override;

	// KernelLink
	bool isOpen() const override;
	void open() override;
		/// open(base, token, kernel, offer) with the server's: throws
		/// Poco::IllegalStateException without a server.
	void close() override;
	void shutdown() override;
	void send(const std::string& channel, const std::string& type, Poco::JSON::Object::Ptr content, const std::string& msgId) override;
	Poco::JSON::Object::Ptr receive(std::chrono::milliseconds timeout) override;
		/// Answers pings. Throws Poco::Net::ConnectionResetException when the
		/// connection closes.

	void open(const Poco::URI& base, const std::string& token, const std::string& kernelId, bool offerRaw);
		/// Opens base's /api/kernels/<kernelId>/channels with the token, offering the
		/// v1 subprotocol when offerRaw is true. Throws the Poco::Net exceptions of
		/// a failed connection or handshake.

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
	JupyterServer* _pServer;
	std::string _kernelId;
	std::unique_ptr<Poco::Net::HTTPClientSession> _pSession;
	std::unique_ptr<Poco::Net::WebSocket> _pSocket;
	bool _binary = false;   ///< the server speaks the v1 subprotocol: raw message parts, no JSON re-encoding
};


} } // namespace execd::jupyter
