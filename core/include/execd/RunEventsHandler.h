#pragma once

#include "execd/Route.h"
#include "execd/StreamHandler.h"


namespace execd {


class EXECD_API RunEventsHandler: public StreamHandler
	/// GET /runs/{id}/events: the journal of a resumable run (RunTable), from the
	/// event after Last-Event-ID (or ?after=N; from the start without either) to
	/// the run's end, following it live with no gap and no duplicate. Events the
	/// journal no longer holds are announced by one "truncated" event first.
	/// 400 for an id that is not a number, 404 RUN_NOT_FOUND for an unknown run.
{
public:
	static constexpr std::size_t BATCH_BYTES = 256 * 1024;   ///< read from the journal at a time

	explicit RunEventsHandler(RouteMatch match);

	static std::string truncatedEvent(std::uint64_t dropped);

	static void follow(const RunJournal& journal, std::uint64_t after, SseWriter& sink, bool ids);
		/// Streams the entries after id after to sink, then the live run's, to the
		/// journal's end or until the client is gone; with ids, "id: N" lines.
		/// {"type":"truncated","dropped_events":N,"timestamp":T}

protected:
	// execd::StreamHandler
	void stream(Poco::Net::HTTPServerRequest& request, SseWriter& sink) override;
	bool resumable() const override;
};


} // namespace execd
