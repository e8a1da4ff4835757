#include "server/LogFormatter.h"
#include "Poco/Message.h"
#include <cstdio>
#include <ctime>


namespace execd {


namespace {


const char* priorityName(Poco::Message::Priority priority)
{
	switch (priority)
	{
	case Poco::Message::PRIO_FATAL: return "Fatal";
	case Poco::Message::PRIO_CRITICAL: return "Critical";
	case Poco::Message::PRIO_ERROR: return "Error";
	case Poco::Message::PRIO_WARNING: return "Warning";
	case Poco::Message::PRIO_NOTICE: return "Notice";
	case Poco::Message::PRIO_INFORMATION: return "Information";
	case Poco::Message::PRIO_DEBUG: return "Debug";
	case Poco::Message::PRIO_TRACE: return "Trace";
	}
	return "Unknown";
}


} // namespace


void LogFormatter::format(const Poco::Message& message, std::string& text)
{
	thread_local std::time_t cachedSecond = -1;
	thread_local char cachedPrefix[32];
	Poco::Timestamp::TimeVal micros = message.getTime().epochMicroseconds();
	std::time_t second = static_cast<std::time_t>(micros / 1000000);
	if (second != cachedSecond)
	{
		struct tm tm;
		::gmtime_r(&second, &tm);
		std::strftime(cachedPrefix, sizeof(cachedPrefix), "%Y-%m-%dT%H:%M:%S.", &tm);
		cachedSecond = second;
	}
	char millis[8];
	std::snprintf(millis, sizeof(millis), "%03dZ ", static_cast<int>((micros / 1000) % 1000));
	text.reserve(text.size() + 48 + message.getSource().size() + message.getText().size());
	text += cachedPrefix;
	text += millis;
	text += priorityName(message.getPriority());
	text += ' ';
	text += message.getSource();
	text += ": ";
	text += message.getText();
}


} // namespace execd
