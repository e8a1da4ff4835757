#pragma once

#include "execd/Core.h"
#include "Poco/JSON/Object.h"
#include "Poco/Types.h"
#include <optional>
#include <string>
#include <vector>


namespace execd {


enum class EventType
	/// The "type" of a streamed event, as upstream names them.
{
	INIT,
	PING,
	STDOUT,
	STDERR,
	EXECUTION_COUNT,
	RESULT,
	STATUS,
	ERROR,
	EXECUTION_COMPLETE,
	TRUNCATED        ///< execd's own: output left out by a flood policy (FloodGate)
};


EXECD_API const char* eventTypeName(EventType type);
	/// "init", "ping", "stdout", ..., "execution_complete".


struct EXECD_API ErrorDetail
	/// The "error" object of an error event.
{
	std::string ename;
	std::string evalue;
	std::vector<std::string> traceback;
	bool tracebackNull = false;   ///< serialise "traceback":null instead of an array
};


struct EXECD_API RunOutcome
	/// Why a run ended and what it cost, for its final event: extra fields that
	/// only a client that asks for them gets (README "Exit reasons and usage").
{
	std::string reason;                      ///< exited, signaled, timeout, interrupted, oom_killed, client_gone, daemon_shutdown
	std::optional<int> exitCode;             ///< when the process exited
	std::string signal;                      ///< "SIGKILL", when a signal ended it
	std::optional<Poco::Int64> cpuUserMillis;
	std::optional<Poco::Int64> cpuSystemMillis;
	std::optional<Poco::Int64> maxRssKb;
	Poco::Int64 wallMillis = 0;
	Poco::UInt64 outputBytes = 0;            ///< stdout and stderr, as read from the process

	void appendJson(std::string& out) const;
		/// ,"exit_reason":"...","exit_code":N or ,"signal":"...", then the usage
		/// fields that are known, cpu_user_ms, cpu_system_ms, max_rss_kb, wall_ms,
		/// output_bytes.
};


struct EXECD_API Truncation
	/// What a "truncated" event says: the output a run's limits kept off the
	/// stream, and where all of it is.
{
	Poco::UInt64 droppedBytes = 0;
	Poco::UInt64 droppedEvents = 0;
	std::string spillPath;   ///< the complete output; "" when none was kept
	bool spillComplete = true;   ///< false: writing it failed part way ("spill_complete":false)
};


struct EXECD_API StreamEvent
	/// One event of an execution stream. Fields that are zero or empty are left out
	/// of the JSON, as upstream does.
{
	EventType type = EventType::PING;
	std::string text;
	int executionCount = 0;
	Poco::Int64 executionTime = 0;     ///< milliseconds
	Poco::Int64 timestamp = 0;         ///< Unix milliseconds; 0 = stamped when emitted
	Poco::JSON::Object::Ptr results;   ///< MIME type -> value; "text/plain" already renamed to "text"
	std::optional<ErrorDetail> error;
	std::optional<RunOutcome> outcome;  ///< on a final event; written only by toJson(true)
	std::optional<Truncation> truncation;   ///< on a TRUNCATED event

	static StreamEvent init(const std::string& id);
	static StreamEvent stdoutText(const std::string& text);
	static StreamEvent stderrText(const std::string& text);
	static StreamEvent count(int executionCount);
	static StreamEvent result(Poco::JSON::Object::Ptr results);
	static StreamEvent status(const std::string& text);
	static StreamEvent failure(ErrorDetail detail);
	static StreamEvent complete(Poco::Int64 executionTimeMillis);
	static StreamEvent ping();
	static StreamEvent truncated(Truncation truncation);
		/// {"type":"truncated","timestamp":T,"dropped_bytes":N,"dropped_events":M,"spill_path":"..."}:
		/// no "text" (the Go SDK takes an unknown type's text for stdout).

	std::string toJson(bool withOutcome = false) const;
	void appendJson(std::string& out, bool withOutcome = false) const;
		/// toJson(), appended to out.
		/// Compact JSON in upstream's field order (type, text, execution_count,
		/// execution_time, timestamp, results, error). Strings are escaped as Go's
		/// encoding/json does, and invalid UTF-8 becomes U+FFFD, so the output is
		/// always one valid UTF-8 line.
};


namespace Json
	/// JSON text helpers shared by the core and modules.
{
	EXECD_API void appendString(std::string& out, const std::string& text);
		/// Appends text as a quoted JSON string: Go-compatible escapes (<, >, &,
		/// U+2028, U+2029 as \u00XX), invalid UTF-8 sequences replaced by U+FFFD.

	EXECD_API std::string quote(const std::string& text);

	EXECD_API std::string sanitizeUtf8(const std::string& text);
		/// Replaces every invalid UTF-8 sequence with U+FFFD.

	EXECD_API std::string stringify(const Poco::Dynamic::Var& value);
		/// Compact JSON for any Poco JSON value; strings escaped as appendString() does.
}


} // namespace execd
