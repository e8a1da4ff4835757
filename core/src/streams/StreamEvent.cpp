#include "execd/StreamEvent.h"
#include "Poco/JSON/Array.h"
#include "Poco/Timestamp.h"
#include <algorithm>


namespace execd {


const char* eventTypeName(EventType type)
{
	switch (type)
	{
	case EventType::INIT: return "init";
	case EventType::PING: return "ping";
	case EventType::STDOUT: return "stdout";
	case EventType::STDERR: return "stderr";
	case EventType::EXECUTION_COUNT: return "execution_count";
	case EventType::RESULT: return "result";
	case EventType::STATUS: return "status";
	case EventType::ERROR: return "error";
	case EventType::EXECUTION_COMPLETE: return "execution_complete";
	case EventType::TRUNCATED: return "truncated";
	}
	return "unknown";
}


StreamEvent StreamEvent::init(const std::string& id)
{
	StreamEvent event;
	event.type = EventType::INIT;
	event.text = id;
	return event;
}


StreamEvent StreamEvent::stdoutText(const std::string& text)
{
	StreamEvent event;
	event.type = EventType::STDOUT;
	event.text = text;
	return event;
}


StreamEvent StreamEvent::stderrText(const std::string& text)
{
	StreamEvent event;
	event.type = EventType::STDERR;
	event.text = text;
	return event;
}


StreamEvent StreamEvent::count(int executionCount)
{
	StreamEvent event;
	event.type = EventType::EXECUTION_COUNT;
	event.executionCount = executionCount;
	return event;
}


StreamEvent StreamEvent::result(Poco::JSON::Object::Ptr results)
{
	StreamEvent event;
	event.type = EventType::RESULT;
	event.results = std::move(results);
	return event;
}


StreamEvent StreamEvent::status(const std::string& text)
{
	StreamEvent event;
	event.type = EventType::STATUS;
	event.text = text;
	return event;
}


StreamEvent StreamEvent::failure(ErrorDetail detail)
{
	StreamEvent event;
	event.type = EventType::ERROR;
	event.error = std::move(detail);
	return event;
}


StreamEvent StreamEvent::complete(Poco::Int64 executionTimeMillis)
{
	StreamEvent event;
	event.type = EventType::EXECUTION_COMPLETE;
	event.executionTime = executionTimeMillis;
	return event;
}


StreamEvent StreamEvent::ping()
{
	StreamEvent event;
	event.type = EventType::PING;
	event.text = "pong";
	return event;
}


StreamEvent StreamEvent::truncated(Truncation truncation)
{
	StreamEvent event;
	event.type = EventType::TRUNCATED;
	event.truncation = std::move(truncation);
	return event;
}


std::string StreamEvent::toJson(bool withOutcome) const
{
	std::string out;
	out.reserve(64 + text.size() + text.size() / 8);
	appendJson(out, withOutcome);
	return out;
}


void StreamEvent::appendJson(std::string& out, bool withOutcome) const
{
	out += "{\"type\":\"";
	out += eventTypeName(type);
	out += '"';
	if (!text.empty())
	{
		out += ",\"text\":";
		Json::appendString(out, text);
	}
	if (executionCount != 0)
	{
		out += ",\"execution_count\":";
		out += std::to_string(executionCount);
	}
	if (executionTime != 0)
	{
		out += ",\"execution_time\":";
		out += std::to_string(executionTime);
	}
	out += ",\"timestamp\":";
	out += std::to_string(timestamp != 0 ? timestamp : Poco::Timestamp().epochMicroseconds() / 1000);
	if (results && results->size() > 0)
	{
		out += ",\"results\":";
		out += Json::stringify(results);
	}
	if (error)
	{
		out += ",\"error\":{\"ename\":";
		Json::appendString(out, error->ename);
		out += ",\"evalue\":";
		Json::appendString(out, error->evalue);
		out += ",\"traceback\":";
		if (error->tracebackNull)
		{
			out += "null";
		}
		else
		{
			out += '[';
			for (std::size_t i = 0; i < error->traceback.size(); ++i)
			{
				if (i) out += ',';
				Json::appendString(out, error->traceback[i]);
			}
			out += ']';
		}
		out += '}';
	}
	if (truncation)
	{
		out += ",\"dropped_bytes\":";
		out += std::to_string(truncation->droppedBytes);
		out += ",\"dropped_events\":";
		out += std::to_string(truncation->droppedEvents);
		if (!truncation->spillPath.empty())
		{
			out += ",\"spill_path\":";
			Json::appendString(out, truncation->spillPath);
			if (!truncation->spillComplete) out += ",\"spill_complete\":false";
		}
	}
	if (withOutcome && outcome) outcome->appendJson(out);
	out += '}';
}


void RunOutcome::appendJson(std::string& out) const
{
	out += ",\"exit_reason\":";
	Json::appendString(out, reason);
	if (exitCode)
	{
		out += ",\"exit_code\":";
		out += std::to_string(*exitCode);
	}
	if (!signal.empty())
	{
		out += ",\"signal\":";
		Json::appendString(out, signal);
	}
	auto field = [&out](const char* name, Poco::Int64 value)
	{
		out += ",\"";
		out += name;
		out += "\":";
		out += std::to_string(value);
	};
	if (cpuUserMillis) field("cpu_user_ms", *cpuUserMillis);
	if (cpuSystemMillis) field("cpu_system_ms", *cpuSystemMillis);
	if (maxRssKb) field("max_rss_kb", *maxRssKb);
	field("wall_ms", wallMillis);
	field("output_bytes", static_cast<Poco::Int64>(outputBytes));
}


namespace Json {


namespace {


const char HEX[] = "0123456789abcdef";


// Length of the valid UTF-8 sequence at s[i], or 0 when it is not valid
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
std::size_t validSequence(const unsigned char* s, std::size_t i, std::size_t n)
{
	unsigned char c = s[i];
	if (c < 0x80) return 1;
	if (c >= 0xC2 && c <= 0xDF)
		return (i + 1 < n && (s[i + 1] & 0xC0) == 0x80) ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF)
	{
		if (i + 2 >= n) return 0;
		unsigned char c1 = s[i + 1], c2 = s[i + 2];
		if ((c1 & 0xC0) != 0x80 || (c2 & 0xC0) != 0x80) return 0;
		if (c == 0xE0 && c1 < 0xA0) return 0;
		if (c == 0xED && c1 > 0x9F) return 0;
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4)
	{
		if (i + 3 >= n) return 0;
		unsigned char c1 = s[i + 1], c2 = s[i + 2], c3 = s[i + 3];
		if ((c1 & 0xC0) != 0x80 || (c2 & 0xC0) != 0x80 || (c3 & 0xC0) != 0x80) return 0;
		if (c == 0xF0 && c1 < 0x90) return 0;
		if (c == 0xF4 && c1 > 0x8F) return 0;
		return 4;
	}
	return 0;
}


} // namespace


void appendString(std::string& out, const std::string& text)
{
	const unsigned char* s = reinterpret_cast<const unsigned char*>(text.data());
	const std::size_t n = text.size();
	out += '"';
	std::size_t i = 0;
	while (i < n)
	{
		unsigned char c = s[i];
		if (c >= 0x80)
		{
			std::size_t len = validSequence(s, i, n);
			if (len == 0)
			{
				out += "\xEF\xBF\xBD";
				++i;
			}
			else if (len == 3 && c == 0xE2 && s[i + 1] == 0x80 && (s[i + 2] == 0xA8 || s[i + 2] == 0xA9))
			{
				out += s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029";
				i += 3;
			}
			else
			{
				out.append(text, i, len);
				i += len;
			}
			continue;
		}
		switch (c)
		{
		case '"': out += "\\\""; break;
		case '\\': out += "\\\\"; break;
		case '\n': out += "\\n"; break;
		case '\r': out += "\\r"; break;
		case '\t': out += "\\t"; break;
		case '<': case '>': case '&':
			out += "\\u00";
			out += HEX[c >> 4];
			out += HEX[c & 0xF];
			break;
		default:
			if (c < 0x20)
			{
				out += "\\u00";
				out += HEX[c >> 4];
				out += HEX[c & 0xF];
			}
			else
			{
				out += static_cast<char>(c);
			}
		}
		++i;
	}
	out += '"';
}


std::string quote(const std::string& text)
{
	std::string out;
	appendString(out, text);
	return out;
}


std::string sanitizeUtf8(const std::string& text)
{
	const unsigned char* s = reinterpret_cast<const unsigned char*>(text.data());
	const std::size_t n = text.size();
	std::string out;
	out.reserve(n);
	std::size_t i = 0;
	while (i < n)
	{
		std::size_t len = validSequence(s, i, n);
		if (len == 0)
		{
			out += "\xEF\xBF\xBD";
			++i;
		}
		else
		{
			out.append(text, i, len);
			i += len;
		}
	}
	return out;
}


namespace {


void appendValue(std::string& out, const Poco::Dynamic::Var& value)
{
	if (value.isEmpty())
	{
		out += "null";
	}
	else if (value.type() == typeid(Poco::JSON::Object::Ptr))
	{
		Poco::JSON::Object::Ptr pObject = value.extract<Poco::JSON::Object::Ptr>();
		if (!pObject)
		{
			out += "null";
			return;
		}
		out += '{';
		bool first = true;
		std::vector<std::string> names;
		pObject->getNames(names);
		std::sort(names.begin(), names.end());   // as Go marshals maps
		for (const std::string& name: names)
		{
			if (!first) out += ',';
			first = false;
			appendString(out, name);
			out += ':';
			appendValue(out, pObject->get(name));
		}
		out += '}';
	}
	else if (value.type() == typeid(Poco::JSON::Array::Ptr))
	{
		Poco::JSON::Array::Ptr pArray = value.extract<Poco::JSON::Array::Ptr>();
		if (!pArray)
		{
			out += "null";
			return;
		}
		out += '[';
		for (std::size_t i = 0; i < pArray->size(); ++i)
		{
			if (i) out += ',';
			appendValue(out, pArray->get(static_cast<unsigned>(i)));
		}
		out += ']';
	}
	else if (value.isString())
	{
		appendString(out, value.convert<std::string>());
	}
	else if (value.isBoolean())
	{
		out += value.convert<bool>() ? "true" : "false";
	}
	else if (value.isNumeric())
	{
		out += value.convert<std::string>();
	}
	else
	{
		// Poco::Dynamic::Struct and friends: let Poco format, then it is still JSON.
		out += Poco::Dynamic::Var::toString(value);
	}
}


} // namespace


std::string stringify(const Poco::Dynamic::Var& value)
{
	std::string out;
	appendValue(out, value);
	return out;
}


} // namespace Json


} // namespace execd
