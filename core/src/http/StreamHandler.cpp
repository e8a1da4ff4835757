#include "execd/StreamHandler.h"
#include "execd/Http.h"
#include "execd/ReplayedRequest.h"
#include "execd/RunTable.h"


namespace execd {


StreamHandler::StreamHandler(RouteMatch match):
	_match(std::move(match))
{
}


StreamHandler::~StreamHandler() = default;


void StreamHandler::handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
	SseWriter writer(request, response);
	// A resumable stream is journalled and outlives its client; one that asks
	// only for exit details is journalled too, so that how a run ended after its
	// client left (client_gone) can still be read, but keeps the usual semantics.
	// A run with an Idempotency-Key is journalled where the dispatcher says, and
	// outlives its client: a retry follows it.
	const bool resumableRun = resumable() && RunTable::requested(request);
	const bool details = SseWriter::exitDetailsRequested(request);
	auto pReplayed = dynamic_cast<ReplayedRequest*>(&request);
	if (resumable() && pReplayed && pReplayed->journal())
		writer.journal(pReplayed->journal(), resumableRun, true);
	else if (resumableRun || (details && resumable()))
		writer.journal(RunTable::instance().create(), resumableRun, resumableRun);
	if (details) writer.setExitDetails(true);
	try
	{
		stream(request, writer);
	}
	catch (std::exception& exc)
	{
		ApiException error = Http::translate(exc, request.getMethod() + " " + _match.pattern());
		if (!writer.started())
		{
			Http::sendError(response, error);
			return;
		}
		// Upstream's behaviour once the stream has begun: the JSON error is appended
		// to the body without SSE framing. SDKs depend on it (see the contract, 2.6).
		writer.appendRaw(Http::errorJson(error.errorCode(), error.message()));
	}
	if (!writer.started())
	{
		// Every stream owes at least "init": the Go SDK calls an empty stream an error.
		Http::sendError(response, ApiException::runtimeError("the executor ended without sending any event"));
		return;
	}
	writer.finish();
}


bool StreamHandler::resumable() const
{
	return true;
}


const RouteMatch& StreamHandler::match() const
{
	return _match;
}


} // namespace execd
