#include "KernelChannel.h"
#include "JupyterServer.h"
#include "Poco/Buffer.h"
#include "Poco/DateTimeFormatter.h"
#include "Poco/JSON/Array.h"
#include "Poco/JSON/Parser.h"
#include "Poco/Net/HTTPRequest.h"
#include "Poco/Net/HTTPResponse.h"
#include "Poco/Net/NetException.h"
#include "Poco/Timestamp.h"
#include <cstdint>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sstream>


namespace execd {
namespace jupyter {


namespace {


Poco::JSON::Object::Ptr parseObject(const std::string& text)
{
	return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
}


std::string stringify(const Poco::JSON::Object& object)
{
	std::ostringstream out;
	object.stringify(out);
	return out.str();
}


} // namespace


const std::string KernelChannel::V1_PROTOCOL = "v1.kernel.websocket.jupyter.org";


KernelChannel::KernelChannel(std::string clientSession, JupyterServer* pServer, std::string kernelId):
	KernelLink(std::move(clientSession)),
	_pServer(pServer),
	_kernelId(std::move(kernelId))
{
}


KernelChannel::~KernelChannel()
{
	close();
}


bool KernelChannel::isOpen() const
{
	return _pSocket != nullptr;
}


void KernelChannel::open()
{
	if (!_pServer) throw Poco::IllegalStateException("a channel without a server");
	open(_pServer->base(std::chrono::seconds(30)), _pServer->token(), _kernelId, _pServer->rawMessages());
}


void KernelChannel::open(const Poco::URI& base, const std::string& token, const std::string& kernelId, bool offerRaw)
{
	std::string prefix = base.getPath();
	if (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
	_pSession = std::make_unique<Poco::Net::HTTPClientSession>(base.getHost(), base.getPort());
	Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET,
		prefix + "/api/kernels/" + kernelId + "/channels?session_id=" + clientSession(), Poco::Net::HTTPMessage::HTTP_1_1);
	request.set("Authorization", "token " + token);
	// jupyter-server >= 1.21 forwards messages of this subprotocol as raw parts:
	// it neither decodes nor re-encodes their JSON, a few hundred microseconds
	// less per message. Older servers ignore the offer and speak JSON text.
	if (offerRaw) request.set("Sec-WebSocket-Protocol", V1_PROTOCOL);
	Poco::Net::HTTPResponse response;
	_pSocket = std::make_unique<Poco::Net::WebSocket>(*_pSession, request, response);
	_binary = response.get("Sec-WebSocket-Protocol", "") == V1_PROTOCOL;
	_pSocket->setMaxPayloadSize(MAX_MESSAGE_BYTES);
	_pSocket->setNoDelay(true);
}


void KernelChannel::close()
{
	shutdown();
	_pSocket.reset();
	_pSession.reset();
}


void KernelChannel::shutdown()
{
	if (!_pSocket) return;
	try
	{
		_pSocket->shutdown();
	}
	catch (...)
	{
	}
}


void KernelChannel::send(const std::string& channel, const std::string& type, Poco::JSON::Object::Ptr content, const std::string& msgId)
{
	Poco::JSON::Object::Ptr pHeader = header(clientSession(), type, msgId);
	if (_binary)
	{
		std::string frame = encodeBinary(channel, pHeader, content);
		_pSocket->sendFrame(frame.data(), static_cast<int>(frame.size()), Poco::Net::WebSocket::FRAME_BINARY);
		return;
	}
	std::string text = encodeText(channel, pHeader, content);
	_pSocket->sendFrame(text.data(), static_cast<int>(text.size()), Poco::Net::WebSocket::FRAME_TEXT);
}


Poco::JSON::Object::Ptr KernelChannel::receive(std::chrono::milliseconds timeout)
{
	_pSocket->setReceiveTimeout(Poco::Timespan(timeout.count() * 1000));
	std::string message;
	bool binary = false;
	for (;;)
	{
		Poco::Buffer<char> buffer(0);
		int flags = 0;
		int n;
		try
		{
			n = _pSocket->receiveFrame(buffer, flags);
		}
		catch (Poco::TimeoutException&)
		{
			return nullptr;
		}
		// Tornado sends with Nagle on; acknowledge at once or each message waits
		// for the delayed ACK (Linux; must be re-armed after every read).
		int one = 1;
		::setsockopt(_pSocket->impl()->sockfd(), IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
		int op = flags & Poco::Net::WebSocket::FRAME_OP_BITMASK;
		if (n == 0 && flags == 0)
			throw Poco::Net::ConnectionResetException("the kernel connection closed");
		if (op == Poco::Net::WebSocket::FRAME_OP_PING)
		{
			_pSocket->sendFrame(buffer.begin(), static_cast<int>(buffer.size()), Poco::Net::WebSocket::FRAME_FLAG_FIN | Poco::Net::WebSocket::FRAME_OP_PONG);
			continue;
		}
		if (op == Poco::Net::WebSocket::FRAME_OP_PONG) continue;
		if (op == Poco::Net::WebSocket::FRAME_OP_CLOSE)
			throw Poco::Net::ConnectionResetException("the kernel connection closed");
		if (op == Poco::Net::WebSocket::FRAME_OP_BINARY) binary = true;
		message.append(buffer.begin(), buffer.size());
		if (flags & Poco::Net::WebSocket::FRAME_FLAG_FIN) break;
	}
	return decode(message, binary);
}


Poco::JSON::Object::Ptr KernelChannel::executeRequest(const std::string& code, bool userCode)
{
	Poco::JSON::Object::Ptr content = new Poco::JSON::Object;
	content->set("code", code);
	content->set("silent", false);
	content->set("store_history", userCode);
	content->set("user_expressions", Poco::JSON::Object::Ptr(new Poco::JSON::Object));
	content->set("allow_stdin", false);
	content->set("stop_on_error", userCode);
	return content;
}


Poco::JSON::Object::Ptr KernelChannel::header(const std::string& session, const std::string& type, const std::string& msgId)
{
	Poco::JSON::Object::Ptr pHeader = new Poco::JSON::Object;
	pHeader->set("msg_id", msgId);
	pHeader->set("username", "execd");
	pHeader->set("session", session);
	pHeader->set("date", Poco::DateTimeFormatter::format(Poco::Timestamp(), "%Y-%m-%dT%H:%M:%S.%iZ"));
	pHeader->set("msg_type", type);
	pHeader->set("version", "5.3");
	return pHeader;
}


std::string KernelChannel::encodeText(const std::string& channel, Poco::JSON::Object::Ptr header, Poco::JSON::Object::Ptr content)
{
	Poco::JSON::Object message;
	message.set("header", header);
	message.set("parent_header", Poco::JSON::Object::Ptr(new Poco::JSON::Object));
	message.set("metadata", Poco::JSON::Object::Ptr(new Poco::JSON::Object));
	message.set("buffers", Poco::JSON::Array::Ptr(new Poco::JSON::Array));
	message.set("channel", channel);
	message.set("content", content);
	return stringify(message);
}


std::string KernelChannel::encodeBinary(const std::string& channel, Poco::JSON::Object::Ptr header, Poco::JSON::Object::Ptr content)
{
	return encodeV1(channel, {stringify(*header), "{}", "{}", stringify(*content)});
}


std::string KernelChannel::encodeV1(const std::string& channel, const std::vector<std::string>& parts)
{
	const std::size_t count = parts.size() + 2;
	std::vector<std::uint64_t> offsets{8 * (count + 1)};
	offsets.push_back(offsets.back() + channel.size());
	for (const std::string& p: parts) offsets.push_back(offsets.back() + p.size());
	std::string frame;
	frame.reserve(offsets.back());
	auto put = [&frame](std::uint64_t v)
	{
		for (int i = 0; i < 8; ++i) frame += static_cast<char>((v >> (8 * i)) & 0xFF);
	};
	put(count);
	for (std::uint64_t o: offsets) put(o);
	frame += channel;
	for (const std::string& p: parts) frame += p;
	return frame;
}


Poco::JSON::Object::Ptr KernelChannel::decodeV1(const std::string& frame)
{
	auto get = [&frame](std::size_t at) -> std::uint64_t
	{
		if (at + 8 > frame.size()) throw Poco::DataFormatException("truncated kernel message");
		std::uint64_t v = 0;
		for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(frame[at + static_cast<std::size_t>(i)]);
		return v;
	};
	const std::uint64_t count = get(0);
	if (count < 2 || count > 64) throw Poco::DataFormatException("malformed kernel message");
	std::vector<std::uint64_t> offsets;
	for (std::uint64_t i = 0; i < count; ++i)
	{
		offsets.push_back(get(8 * (i + 1)));
		if (offsets.back() > frame.size() || (i > 0 && offsets.back() < offsets[i - 1]))
			throw Poco::DataFormatException("malformed kernel message");
	}
	auto part = [&](std::size_t i) { return frame.substr(offsets[i], offsets[i + 1] - offsets[i]); };
	static const char* const NAMES[] = {"header", "parent_header", "metadata", "content"};
	Poco::JSON::Object::Ptr message = new Poco::JSON::Object;
	message->set("channel", part(0));
	for (std::size_t i = 0; i < 4 && i + 2 < count; ++i)
		message->set(NAMES[i], parseObject(part(i + 1)));
	return message;
}


Poco::JSON::Object::Ptr KernelChannel::decode(const std::string& data, bool binary)
{
	return binary ? decodeV1(data) : parseObject(data);
}


} } // namespace execd::jupyter
