#include "ZmqLink.h"
#include "DirectKernel.h"
#include "KernelChannel.h"
#include "Poco/JSON/Parser.h"
#include "Poco/Net/NetException.h"
#include <cerrno>
#include <sstream>
#include <sys/eventfd.h>
#include <unistd.h>
#include <zmq_addon.hpp>


namespace execd {
namespace jupyter {


namespace {


std::string stringify(const Poco::JSON::Object& object)
{
	std::ostringstream out;
	object.stringify(out);
	return out.str();
}


Poco::JSON::Object::Ptr parseObject(const std::string& text)
{
	Poco::Dynamic::Var value = Poco::JSON::Parser().parse(text);
	if (value.type() != typeid(Poco::JSON::Object::Ptr))
		throw Poco::DataFormatException("a message part is not a JSON object");
	return value.extract<Poco::JSON::Object::Ptr>();
}


std::unique_ptr<zmq::socket_t> connected(zmq::context_t& context, zmq::socket_type type, const std::string& address, const std::string& identity)
{
	auto pSocket = std::make_unique<zmq::socket_t>(context, type);
	pSocket->set(zmq::sockopt::linger, 0);
	// A kernel that is starting binds its ports a moment after we connect: try
	// again every 10 ms, not libzmq's 100, so that its first messages are not
	// held back for up to 100 ms after it listens.
	pSocket->set(zmq::sockopt::reconnect_ivl, 10);
	if (!identity.empty()) pSocket->set(zmq::sockopt::routing_id, identity);
	if (type == zmq::socket_type::sub) pSocket->set(zmq::sockopt::subscribe, "");
	pSocket->connect(address);
	return pSocket;
}


} // namespace


KernelWire::Message ZmqLink::message(const std::string& session, const std::string& type, const std::string& msgId,
	std::string content, std::string parentHeader)
{
	KernelWire::Message m;
	m.header = stringify(*KernelChannel::header(session, type, msgId));
	m.parentHeader = std::move(parentHeader);
	m.metadata = "{}";
	m.content = std::move(content);
	return m;
}


void ZmqLink::sendFrames(zmq::socket_t& socket, const std::vector<std::string>& frames, zmq::send_flags flags)
{
	for (std::size_t i = 0; i < frames.size(); ++i)
		socket.send(zmq::buffer(frames[i]), (i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none) | flags);
}


ZmqLink::ZmqLink(std::shared_ptr<DirectKernel> pKernel):
	KernelLink(DirectKernel::newSessionId()),
	_pKernel(std::move(pKernel)),
	_wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK))
{
	if (_wake < 0) throw Poco::SystemException("eventfd", errno);
}


ZmqLink::~ZmqLink()
{
	close();
	::close(_wake);
}


bool ZmqLink::isOpen() const
{
	return _pShell && _pKernel->incarnation() == _incarnation;
}


void ZmqLink::open()
{
	disconnect();   // a shutdown() that came first still counts
	DirectKernel::Endpoint ep = _pKernel->endpoint();
	zmq::context_t& context = _pKernel->zmqContext();
	const std::string base = "tcp://" + ep.ip + ":";
	try
	{
		_pShell = connected(context, zmq::socket_type::dealer, base + std::to_string(ep.shellPort), clientSession());
		_pControl = connected(context, zmq::socket_type::dealer, base + std::to_string(ep.controlPort), clientSession());
		_pStdin = connected(context, zmq::socket_type::dealer, base + std::to_string(ep.stdinPort), clientSession());
		_pIopub = connected(context, zmq::socket_type::sub, base + std::to_string(ep.iopubPort), "");
	}
	catch (zmq::error_t& exc)
	{
		disconnect();
		throw Poco::IOException(std::string("cannot connect to the kernel: ") + exc.what());
	}
	_pWire = std::make_unique<KernelWire>(ep.key);
	_incarnation = ep.incarnation;
}


void ZmqLink::close()
{
	// A shutdown() stays: it is the end of the link's context.
	disconnect();
}


void ZmqLink::disconnect()
{
	_pShell.reset();
	_pControl.reset();
	_pStdin.reset();
	_pIopub.reset();
	_incarnation = -1;
}


void ZmqLink::shutdown()
{
	_shutdown = true;
	::eventfd_write(_wake, 1);
}


void ZmqLink::send(const std::string& channel, const std::string& type, Poco::JSON::Object::Ptr content, const std::string& msgId)
{
	if (!_pShell) throw Poco::Net::ConnectionResetException("the kernel's channels are closed");
	zmq::socket_t& socket = channel == "control" ? *_pControl : *_pShell;
	try
	{
		sendFrames(socket, _pWire->encode(message(clientSession(), type, msgId, content ? stringify(*content) : std::string("{}"))));
	}
	catch (zmq::error_t& exc)
	{
		throw Poco::IOException(std::string("cannot send to the kernel: ") + exc.what());
	}
}


Poco::JSON::Object::Ptr ZmqLink::receive(std::chrono::milliseconds timeout)
{
	if (!_pShell) throw Poco::Net::ConnectionResetException("the kernel's channels are closed");
	const auto deadline = std::chrono::steady_clock::now() + timeout;
	for (;;)
	{
		if (_shutdown) throw Poco::Net::ConnectionResetException("the connection to the kernel was shut down");
		// iopub first: a request's output comes before its reply.
		zmq_pollitem_t items[] = {
			{_pIopub->handle(), 0, ZMQ_POLLIN, 0},
			{_pShell->handle(), 0, ZMQ_POLLIN, 0},
			{_pControl->handle(), 0, ZMQ_POLLIN, 0},
			{_pStdin->handle(), 0, ZMQ_POLLIN, 0},
			{nullptr, _wake, ZMQ_POLLIN, 0}};
		auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
		int n = zmq_poll(items, 5, std::max<long>(0, static_cast<long>(left.count())));
		if (n < 0 && zmq_errno() != EINTR) throw Poco::IOException(std::string("zmq_poll: ") + zmq_strerror(zmq_errno()));
		static const char* const CHANNELS[] = {"iopub", "shell", "control", "stdin"};
		zmq::socket_t* sockets[] = {_pIopub.get(), _pShell.get(), _pControl.get(), _pStdin.get()};
		for (int i = 0; n > 0 && i < 4; ++i)
		{
			if (!(items[i].revents & ZMQ_POLLIN)) continue;
			try
			{
				if (auto pMessage = read(*sockets[i], CHANNELS[i])) return pMessage;
			}
			catch (zmq::error_t& exc)
			{
				throw Poco::IOException(std::string("cannot receive from the kernel: ") + exc.what());
			}
		}
		if (n > 0 && (items[4].revents & ZMQ_POLLIN))
			throw Poco::Net::ConnectionResetException("the connection to the kernel was shut down");
		if (std::chrono::steady_clock::now() >= deadline) return nullptr;
	}
}


Poco::JSON::Object::Ptr ZmqLink::read(zmq::socket_t& socket, const std::string& channel)
{
	std::vector<zmq::message_t> parts;
	if (!zmq::recv_multipart(socket, std::back_inserter(parts), zmq::recv_flags::dontwait)) return nullptr;
	std::vector<std::string> frames;
	frames.reserve(parts.size());
	for (const auto& p: parts) frames.push_back(p.to_string());
	KernelWire::Message message;
	switch (_pWire->decode(frames, message))
	{
	case KernelWire::Result::BAD_SIGNATURE:
		_pKernel->badSignature(channel);
		return nullptr;
	case KernelWire::Result::MALFORMED:
		throw Poco::DataFormatException("a malformed message from the kernel on " + channel);
	case KernelWire::Result::OK:
		break;
	}
	Poco::JSON::Object::Ptr pHeader = parseObject(message.header);
	if (channel == "stdin")
	{
		if (pHeader->optValue<std::string>("msg_type", "") == "input_request") answerInput(message);
		return nullptr;
	}
	Poco::JSON::Object::Ptr pMessage = new Poco::JSON::Object;
	pMessage->set("channel", channel);
	pMessage->set("header", pHeader);
	pMessage->set("parent_header", parseObject(message.parentHeader));
	pMessage->set("metadata", parseObject(message.metadata));
	pMessage->set("content", parseObject(message.content));
	return pMessage;
}


void ZmqLink::answerInput(const KernelWire::Message& request)
{
	sendFrames(*_pStdin, _pWire->encode(message(clientSession(), "input_reply", nextId(), "{\"value\":\"\"}", request.header)));
}


} } // namespace execd::jupyter
