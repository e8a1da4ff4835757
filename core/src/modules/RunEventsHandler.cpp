#include "execd/RunEventsHandler.h"
#include "execd/ApiException.h"
#include "execd/Http.h"
#include "execd/RunTable.h"
#include "Poco/NumberParser.h"
#include "Poco/Timestamp.h"


namespace execd {


namespace {


std::uint64_t parseId(const std::string& text, const std::string& what)
{
	Poco::UInt64 value = 0;
	if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos || !Poco::NumberParser::tryParseUnsigned64(text, value))
		throw ApiException::badRequest("invalid " + what + " '" + text + "': expected the id of an event, a non-negative integer");
	return value;
}


} // namespace


RunEventsHandler::RunEventsHandler(RouteMatch match):
	StreamHandler(std::move(match))
{
}


bool RunEventsHandler::resumable() const
{
	return false;
}


std::string RunEventsHandler::truncatedEvent(std::uint64_t dropped)
{
	// No "text": the Go SDK takes the text of an event type it does not know for
	// stdout. A timestamp: the Python and Kotlin SDKs drop an event without one.
	return "{\"type\":\"truncated\",\"dropped_events\":" + std::to_string(dropped)
		+ ",\"timestamp\":" + std::to_string(Poco::Timestamp().epochMicroseconds() / 1000) + "}";
}


void RunEventsHandler::stream(Poco::Net::HTTPServerRequest& request, SseWriter& sink)
{
	std::uint64_t after = 0;
	if (request.has("Last-Event-ID"))
		after = parseId(request.get("Last-Event-ID"), "Last-Event-ID");
	else
	{
		QueryParams query(request);
		if (query.has("after")) after = parseId(query.get("after", ""), "after");
	}
	const std::string& id = match().param("id");
	std::shared_ptr<RunJournal> pJournal = RunTable::instance().find(id);
	if (!pJournal)
		throw ApiException::notFound(ErrorCode::RUN_NOT_FOUND, "run not found: " + id + " (not resumable, or its journal expired)");
	follow(*pJournal, after, sink, true);
}


void RunEventsHandler::follow(const RunJournal& journal, std::uint64_t after, SseWriter& sink, bool ids)
{
	// The headers go out at once, also for a reader that waits for what comes next.
	if (!sink.begin()) return;
	RunJournal::Batch batch = journal.read(after, BATCH_BYTES);
	for (;;)
	{
		// Events the reader asked for that the journal no longer holds: said once
		// for each gap (a reader that fell behind a journal of bounded size).
		if (batch.dropped > 0 && !sink.replay(RunJournal::Entry{0, truncatedEvent(batch.dropped), false}, ids)) return;
		for (const RunJournal::Entry& entry: batch.entries)
		{
			if (!sink.replay(entry, ids)) return;
			after = entry.id;
		}
		if (batch.complete) break;
		if (batch.entries.empty())
		{
			if (!sink.isOpen()) return;
			journal.waitBeyond(after, std::chrono::steady_clock::now() + std::chrono::seconds(1));
		}
		batch = journal.read(after, BATCH_BYTES);
	}
}


} // namespace execd
