#include "WatchHandler.h"
#include "execd/Http.h"
#include <sys/socket.h>


namespace execd {
namespace metrics {


WatchHandler::WatchHandler(Sampler& sampler, int ticksPerLine):
	_sampler(sampler),
	_ticksPerLine(ticksPerLine)
{
}


void WatchHandler::handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
	response.setContentType("text/event-stream");
	response.set("Cache-Control", "no-cache");
	response.set("X-Accel-Buffering", "no");
	response.setChunkedTransferEncoding(true);
	response.setKeepAlive(false);   // the stream never ends server-side
	std::ostream& out = response.send();
	out.flush();
	Poco::Net::StreamSocket& socket = Http::socketOf(request);
	unsigned long long seen = 0;
	int ticks = 0;
	// The first line as soon as there is a sample, then every ticksPerLine samples.
	bool first = true;
	for (;;)
	{
		if (!_sampler.waitTick(seen, std::chrono::seconds(5)))
		{
			if (_sampler.stopped() || peerClosed(socket)) return;
			continue;
		}
		if (!first && ++ticks < _ticksPerLine) continue;
		first = false;
		ticks = 0;
		// A line, then a blank line: readers that skip blank lines see JSON lines
		// as upstream sends them, and the Go SDK (which dispatches on a blank
		// line) gets each sample as it comes.
		std::string line = _sampler.latest(std::chrono::milliseconds(0)).toJson() + "\n\n";
		try
		{
			out.write(line.data(), static_cast<std::streamsize>(line.size()));
			out.flush();
		}
		catch (...)
		{
			return;
		}
		if (!out.good() || peerClosed(socket)) return;
	}
}


bool WatchHandler::peerClosed(Poco::Net::StreamSocket& socket)
{
	try
	{
		if (!socket.poll(Poco::Timespan(0), Poco::Net::Socket::SELECT_READ)) return false;
		char c;
		return socket.receiveBytes(&c, 1, MSG_PEEK) <= 0;
	}
	catch (...)
	{
		return true;
	}
}


} } // namespace execd::metrics
