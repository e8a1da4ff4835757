#include "execd/ConfigReader.h"
#include "execd/ApiException.h"
#include "Poco/NumberParser.h"
#include "Poco/String.h"
#include "Poco/StringTokenizer.h"
#include <cmath>
#include <limits>


namespace execd {


ConfigReader::ConfigReader(const Poco::Util::AbstractConfiguration& config, std::string prefix):
	_config(config),
	_prefix(std::move(prefix))
{
}


std::string ConfigReader::fullKey(const std::string& key) const
{
	return _prefix.empty() ? key : _prefix + "." + key;
}


void ConfigReader::fail(const std::string& key, const std::string& value, const std::string& why) const
{
	throw ConfigurationException(fullKey(key) + ": '" + value + "' " + why);
}


bool ConfigReader::has(const std::string& key) const
{
	return _config.has(key);
}


std::string ConfigReader::getString(const std::string& key, const std::string& deflt) const
{
	try
	{
		return _config.getString(key, deflt);
	}
	catch (Poco::Exception& exc)
	{
		throw ConfigurationException(fullKey(key) + ": " + exc.displayText());
	}
}


Poco::Int64 ConfigReader::getInt64(const std::string& key, Poco::Int64 deflt, Poco::Int64 min, Poco::Int64 max) const
{
	if (!_config.has(key)) return deflt;
	std::string text = Poco::trim(getString(key, ""));
	Poco::Int64 value = 0;
	if (!Poco::NumberParser::tryParse64(text, value))
		fail(key, text, "is not an integer");
	if (value < min || value > max)
		fail(key, text, "is out of range [" + std::to_string(min) + ", " + std::to_string(max) + "]");
	return value;
}


int ConfigReader::getInt(const std::string& key, int deflt, int min, int max) const
{
	return static_cast<int>(getInt64(key, deflt, min, max));
}


bool ConfigReader::getBool(const std::string& key, bool deflt) const
{
	if (!_config.has(key)) return deflt;
	std::string text = Poco::toLower(Poco::trim(getString(key, "")));
	if (text == "true" || text == "yes" || text == "on" || text == "1") return true;
	if (text == "false" || text == "no" || text == "off" || text == "0") return false;
	fail(key, text, "is not a boolean (true/false)");
}


std::chrono::milliseconds ConfigReader::getMillis(const std::string& key, std::chrono::milliseconds deflt,
	std::chrono::milliseconds min, std::chrono::milliseconds max) const
{
	if (!_config.has(key)) return deflt;
	std::string text = Poco::trim(getString(key, ""));
	Poco::Int64 value = 0;
	try
	{
		value = parseDurationMillis(text);
	}
	catch (Poco::SyntaxException&)
	{
		fail(key, text, "is not a duration (milliseconds, or e.g. 500ms, 2s, 1m30s)");
	}
	if (value < min.count() || value > max.count())
		fail(key, text, "is out of range [" + std::to_string(min.count()) + "ms, " + std::to_string(max.count()) + "ms]");
	return std::chrono::milliseconds(value);
}


std::vector<std::string> ConfigReader::getList(const std::string& key, const std::vector<std::string>& deflt) const
{
	if (!_config.has(key)) return deflt;
	std::string text = getString(key, "");
	for (char& c: text)
	{
		if (c == ',') c = ' ';
	}
	std::vector<std::string> items;
	Poco::StringTokenizer tokens(text, " \t", Poco::StringTokenizer::TOK_IGNORE_EMPTY | Poco::StringTokenizer::TOK_TRIM);
	for (const std::string& t: tokens)
		items.push_back(t);
	return items;
}


Poco::Int64 ConfigReader::parseDurationMillis(const std::string& input)
{
	// Go's time.ParseDuration, rounded to milliseconds; a bare number means milliseconds.
	std::string text = Poco::trim(input);
	if (text.empty()) throw Poco::SyntaxException("empty duration");
	Poco::Int64 plain = 0;
	if (Poco::NumberParser::tryParse64(text, plain)) return plain;

	std::size_t i = 0;
	bool negative = false;
	if (text[i] == '-' || text[i] == '+')
	{
		negative = text[i] == '-';
		++i;
	}
	if (i == text.size()) throw Poco::SyntaxException("invalid duration", input);
	double totalNanos = 0;
	while (i < text.size())
	{
		std::size_t start = i;
		while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
		if (start == i) throw Poco::SyntaxException("invalid duration", input);
		double number = 0;
		if (!Poco::NumberParser::tryParseFloat(text.substr(start, i - start), number))
			throw Poco::SyntaxException("invalid duration", input);
		std::size_t unitStart = i;
		while (i < text.size() && !std::isdigit(static_cast<unsigned char>(text[i])) && text[i] != '.') ++i;
		std::string unit = text.substr(unitStart, i - unitStart);
		double scale = 0;
		if (unit == "ns") scale = 1;
		else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") scale = 1e3;
		else if (unit == "ms") scale = 1e6;
		else if (unit == "s") scale = 1e9;
		else if (unit == "m") scale = 60e9;
		else if (unit == "h") scale = 3600e9;
		else throw Poco::SyntaxException("unknown unit in duration", input);
		totalNanos += number * scale;
	}
	double millis = std::round(totalNanos / 1e6);
	if (millis > static_cast<double>(std::numeric_limits<Poco::Int64>::max() / 2))
		throw Poco::SyntaxException("duration out of range", input);
	return negative ? -static_cast<Poco::Int64>(millis) : static_cast<Poco::Int64>(millis);
}


} // namespace execd
