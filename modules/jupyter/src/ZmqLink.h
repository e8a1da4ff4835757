#pragma once

#include "KernelLink.h"
#include "KernelWire.h"
#include <atomic>
#include <memory>
#include <zmq.hpp>


namespace execd {
namespace jupyter {


class DirectKernel;


class ZmqLink: public KernelLink
	/// The channels of a kernel execd started, over the kernel's own ZeroMQ
	/// sockets: shell, control and stdin (DEALER, one identity), iopub (SUB to
	/// everything). Messages are signed and checked with the connection's key; a
	/// received message with a bad signature is dropped, counted and logged. The
	/// kernel's input requests are answered with an empty reply (execd sends
	/// allow_stdin false; a kernel that asks anyway gets nothing to read).
{
public:
	explicit ZmqLink(std::shared_ptr<DirectKernel> pKernel);
	~ZmqLink() override;

	// KernelLink
	bool isOpen() const override;
		/// Also false once the kernel was restarted: its ports changed.
	void open() override;
	void close() override;
	void shutdown() override;
		/// For good: once shut down the link does not receive again.
	void send(const std::string& channel, const std::string& type, Poco::JSON::Object::Ptr content, const std::string& msgId) override;
	Poco::JSON::Object::Ptr receive(std::chrono::milliseconds timeout) override;

	static KernelWire::Message message(const std::string& session, const std::string& type, const std::string& msgId,
		std::string content, std::string parentHeader = "{}");
		/// A message of ours: a header of protocol 5.3, empty metadata, the JSON
		/// content and parent header given.

	static void sendFrames(zmq::socket_t& socket, const std::vector<std::string>& frames, zmq::send_flags flags = zmq::send_flags::none);
		/// One multipart message (KernelWire::encode()); flags are added to every part.

private:
	void disconnect();
	Poco::JSON::Object::Ptr read(zmq::socket_t& socket, const std::string& channel);
		/// One message from the socket, or nullptr when it was dropped or answered here.
	void answerInput(const KernelWire::Message& request);

	std::shared_ptr<DirectKernel> _pKernel;
	std::unique_ptr<KernelWire> _pWire;
	std::unique_ptr<zmq::socket_t> _pShell;
	std::unique_ptr<zmq::socket_t> _pControl;
	std::unique_ptr<zmq::socket_t> _pStdin;
	std::unique_ptr<zmq::socket_t> _pIopub;
	int _incarnation = -1;   ///< of the kernel process the sockets are connected to
	int _wake = -1;          ///< eventfd: shutdown() from another thread
	std::atomic<bool> _shutdown{false};
};


} } // namespace execd::jupyter
