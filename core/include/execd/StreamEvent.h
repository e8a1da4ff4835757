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
	EXECUTION_COMPLETE
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

	static StreamEvent init(const std::string& id);
	static StreamEvent stdoutText(const std::string& text);
	static StreamEvent stderrText(const std::string& text);
	static StreamEvent count(int executionCount);
	static StreamEvent result(Poco::JSON::Object::Ptr results);
	static StreamEvent status(const std::string& text);
	static StreamEvent failure(ErrorDetail detail);
	static StreamEvent complete(Poco::Int64 executionTimeMillis);
	static StreamEvent ping();

	std::string toJson() const;
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
