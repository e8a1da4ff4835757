#pragma once

#include "execd/Route.h"
#include "execd/SseWriter.h"
#include "Poco/Net/HTTPRequestHandler.h"


namespace execd {


class EXECD_API StreamHandler: public Poco::Net::HTTPRequestHandler
	/// Base of every handler that answers with an execution stream (SSE).
	/// An ApiException (or any exception) thrown before the first event becomes an
	/// ordinary JSON error response; thrown after it, upstream's trailing
	/// {"code","message"} bytes are appended to the stream. The body ends right
	/// after the last event.
	///
	/// A client that asks for a resumable stream (RunTable::requested) gets one:
	/// the run's events are journalled, with ids on the wire, and the run
	/// outlives its client (GET /runs/{id}/events reads it again).
{
public:
	explicit StreamHandler(RouteMatch match);
	~StreamHandler() override;

	void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) final;

protected:
	virtual void stream(Poco::Net::HTTPServerRequest& request, SseWriter& sink) = 0;

	virtual bool resumable() const;
		/// True (the default) when the stream can be made resumable.

	const RouteMatch& match() const;

private:
	RouteMatch _match;
};


} // namespace execd
