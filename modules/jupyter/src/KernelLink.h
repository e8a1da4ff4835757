#pragma once

#include "Poco/JSON/Object.h"
#include <chrono>
#include <string>


namespace execd {
namespace jupyter {


class KernelLink
	/// A connection to one kernel's channels, over which a context sends requests
	/// and receives the kernel's messages: a Jupyter server's WebSocket
	/// (KernelChannel) or the kernel's own ZeroMQ sockets (ZmqLink). Either way a
	/// received message is the object of the WebSocket JSON protocol: channel,
	/// header, parent_header, metadata and content, so that what reads it
	/// (KernelRun, KernelContext) does not know which it is.
	///
	/// One thread uses a link at a time, except for shutdown().
{
public:
	explicit KernelLink(std::string clientSession);
		/// clientSession names this client in the headers and message ids it sends.

	virtual ~KernelLink();

	const std::string& clientSession() const;

	std::string nextId();
		/// A new message id: the client session, '-' and a counter.

	virtual bool isOpen() const = 0;
		/// False before open(), after close(), and once the kernel it was opened
		/// to was replaced.

	virtual void open() = 0;
		/// Connects to the kernel. Throws Poco::Exception.

	virtual void close() = 0;
		/// Disconnects; open() may follow.

	virtual void shutdown() = 0;
		/// From another thread: the thread in receive() gets an exception soon;
		/// the connection stays for that thread to close().

	virtual void send(const std::string& channel, const std::string& type, Poco::JSON::Object::Ptr content, const std::string& msgId) = 0;
		/// Sends a request of the given type on channel ("shell" or "control") with
		/// an empty parent header and metadata.

	virtual Poco::JSON::Object::Ptr receive(std::chrono::milliseconds timeout) = 0;
		/// The next message; nullptr on timeout. Throws
		/// Poco::Net::ConnectionResetException when the connection is gone or was
		/// shut down, and Poco::DataFormatException or a JSON exception for a
		/// malformed message.

private:
	std::string _clientSession;
	unsigned _counter = 0;
};


} } // namespace execd::jupyter
