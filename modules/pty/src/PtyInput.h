#pragma once

#include "PtyClient.h"
#include "Poco/Net/WebSocket.h"
#include <memory>
#include <string>


namespace execd {
namespace pty {


class PtySession;


class PtyInput
	/// The frames of one attached client, read on its request thread until the
	/// client or the shell goes away: binary frames with channel 0 and text
	/// frames {"type":"stdin"|"resize"|"signal"|"ping"} become the session's
	/// input, terminal size and signals; anything else gets INVALID_FRAME.
	/// Answers WebSocket pings, pings a quiet client after 30 s and gives up on
	/// it after 60 s; after our close, waits a second for the client's.
{
public:
	PtyInput(PtySession& session, Poco::Net::WebSocket& socket, const std::shared_ptr<PtyClient>& client);

	void run();

private:
	bool receive(Poco::Buffer<char>& buffer, int& flags, int& n);
		/// One frame; false when the connection is over (timeout rules above).
	void handleText(const std::string& text);

	PtySession& _session;
	Poco::Net::WebSocket& _socket;
	std::shared_ptr<PtyClient> _pClient;
	std::chrono::steady_clock::time_point _lastFrame;
	std::chrono::steady_clock::time_point _lastPing;
	std::chrono::steady_clock::time_point _closedAt;
	bool _closing = false;
};


} } // namespace execd::pty
