#include "PtyInput.h"
#include "PtySession.h"
#include "execd/StreamEvent.h"
#include "Poco/JSON/Object.h"
#include "Poco/JSON/Parser.h"
#include <csignal>


namespace execd {
namespace pty {


namespace {


int signalNamed(const std::string& name)
{
	if (name == "SIGINT") return SIGINT;
	if (name == "SIGTERM") return SIGTERM;
	if (name == "SIGKILL") return SIGKILL;
	if (name == "SIGQUIT") return SIGQUIT;
	if (name == "SIGHUP") return SIGHUP;
	return 0;
}


} // namespace


PtyInput::PtyInput(PtySession& session, Poco::Net::WebSocket& socket, const std::shared_ptr<PtyClient>& client):
	_session(session),
	_socket(socket),
	_pClient(client),
	_lastFrame(std::chrono::steady_clock::now()),
	_lastPing(_lastFrame)
{
}


void PtyInput::run()
{
	Poco::Buffer<char> buffer(0);
	for (;;)
	{
		int flags = 0;
		int n = 0;
		if (!receive(buffer, flags, n)) break;
		if (n < 0) continue;   // no frame yet
		_lastFrame = std::chrono::steady_clock::now();
		_session.touch();
		int op = flags & Poco::Net::WebSocket::FRAME_OP_BITMASK;
		if ((n == 0 && flags == 0) || op == Poco::Net::WebSocket::FRAME_OP_CLOSE) break;
		if (_closing) continue;
		if (op == Poco::Net::WebSocket::FRAME_OP_PING)
		{
			std::string payload(buffer.begin(), buffer.size());
			_socket.sendFrame(payload.data(), static_cast<int>(payload.size()), Poco::Net::WebSocket::FRAME_FLAG_FIN | Poco::Net::WebSocket::FRAME_OP_PONG);
		}
		else if (op == Poco::Net::WebSocket::FRAME_OP_BINARY)
		{
			if (buffer.size() > 1 && buffer[0] == 0x00) _session.writeInput(buffer.begin() + 1, buffer.size() - 1, *_pClient);
		}
		else if (op == Poco::Net::WebSocket::FRAME_OP_TEXT)
		{
			handleText(std::string(buffer.begin(), buffer.size()));
		}
	}
}


bool PtyInput::receive(Poco::Buffer<char>& buffer, int& flags, int& n)
{
	if (!_closing && _pClient->closed())
	{
		// We closed (exit, takeover, delete): a second for the client's close reply.
		_closing = true;
		_closedAt = std::chrono::steady_clock::now();
	}
	try
	{
		buffer.resize(0);
		n = _socket.receiveFrame(buffer, flags);
		return true;
	}
	catch (Poco::TimeoutException&)
	{
		n = -1;
		auto now = std::chrono::steady_clock::now();
		if (_closing) return now - _closedAt < std::chrono::seconds(1);
		if (now - _lastFrame > std::chrono::seconds(60)) return false;   // read deadline
		if (now - _lastFrame > std::chrono::seconds(30) && now - _lastPing > std::chrono::seconds(30))
		{
			_pClient->sendPing();
			_lastPing = now;
		}
		return true;
	}
	catch (Poco::Exception&)
	{
		return false;
	}
}


void PtyInput::handleText(const std::string& text)
{
	Poco::JSON::Object::Ptr message;
	try
	{
		Poco::Dynamic::Var v = Poco::JSON::Parser().parse(text);
		if (v.type() != typeid(Poco::JSON::Object::Ptr)) return;
		message = v.extract<Poco::JSON::Object::Ptr>();
	}
	catch (Poco::Exception&)
	{
		return;   // not JSON: ignored
	}
	std::string type = message->optValue<std::string>("type", "");
	if (type == "stdin")
	{
		std::string data = message->optValue<std::string>("data", "");
		_session.writeInput(data.data(), data.size(), *_pClient);
	}
	else if (type == "resize")
	{
		try
		{
			_session.resize(message->optValue<int>("cols", 0), message->optValue<int>("rows", 0));
		}
		catch (Poco::Exception&)
		{
		}
	}
	else if (type == "signal")
	{
		_session.signalForeground(signalNamed(message->optValue<std::string>("signal", "")));
	}
	else if (type == "ping")
	{
		_pClient->sendText("{\"type\":\"pong\"}\n");
	}
	else
	{
		std::string out = "{\"type\":\"error\",\"error\":";
		Json::appendString(out, "unknown frame type \"" + type + "\"");
		_pClient->sendText(out + ",\"code\":\"INVALID_FRAME\"}\n");
	}
}


} } // namespace execd::pty
