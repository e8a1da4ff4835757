#include "IsolationConfig.h"
#include "Poco/Exception.h"
#include "Poco/UnicodeConverter.h"
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>
#include <set>
#include <sys/stat.h>


namespace execd {
namespace isolation {


namespace {


struct Value
{
	enum Kind { STRING, INTEGER, OTHER, ARRAY } kind = OTHER;
	std::string text;
	long long number = 0;
	std::vector<Value> items;
};


class Reader
	/// One pass over the text; no recursion (arrays of arrays are refused).
{
public:
	explicit Reader(const std::string& text): _text(text) {}

	[[noreturn]] void fail(const std::string& what) const
	{
		throw Poco::SyntaxException("line " + std::to_string(_line) + ": " + what);
	}

	bool atEnd() const { return _at >= _text.size(); }
	char peek() const { return atEnd() ? '\0' : _text[_at]; }

	void skipBlanks()
	{
		while (!atEnd() && (peek() == ' ' || peek() == '\t')) ++_at;
	}

	void skipComment()
	{
		if (peek() != '#') return;
		while (!atEnd() && peek() != '\n') ++_at;
	}

	bool endOfLine()
		// Blanks and a comment, then a newline or the end: consumed, true.
	{
		skipBlanks();
		skipComment();
		if (atEnd()) return true;
		if (peek() == '\r' && _at + 1 < _text.size() && _text[_at + 1] == '\n') ++_at;
		if (peek() != '\n') return false;
		++_at;
		++_line;
		return true;
	}

	void skipSpaceAndNewlines()
		// Inside an array: blanks, comments and newlines.
	{
		for (;;)
		{
			skipBlanks();
			skipComment();
			if (peek() == '\r') ++_at;
			if (peek() != '\n') return;
			++_at;
			++_line;
		}
	}

	std::string key()
	{
		skipBlanks();
		std::string out;
		for (;;)
		{
			skipBlanks();
			if (peek() == '"' || peek() == '\'') out += string().text;
			else
			{
				std::size_t begin = _at;
				while (!atEnd() && (std::isalnum(static_cast<unsigned char>(peek())) || peek() == '_' || peek() == '-')) ++_at;
				if (_at == begin) fail("a key is expected");
				out += _text.substr(begin, _at - begin);
			}
			skipBlanks();
			if (peek() != '.') return out;
			++_at;
			out += '.';
		}
	}

	Value value()
	{
		skipBlanks();
		const char c = peek();
		if (c == '"' || c == '\'') return string();
		if (c == '[') return array();
		std::size_t begin = _at;
		while (!atEnd() && !std::strchr(" \t\r\n#,]", peek())) ++_at;
		const std::string word = _text.substr(begin, _at - begin);
		if (word.empty()) fail("a value is expected");
		Value v;
		if (word == "true" || word == "false") return v;
		std::string digits;
		for (std::size_t i = 0; i < word.size(); ++i)
		{
			if (word[i] == '_')
			{
				if (i == 0 || i + 1 == word.size() || !std::isdigit(static_cast<unsigned char>(word[i - 1])) || !std::isdigit(static_cast<unsigned char>(word[i + 1])))
					fail("invalid number " + word);
				continue;
			}
			digits += word[i];
		}
		std::size_t sign = digits[0] == '+' || digits[0] == '-' ? 1 : 0;
		bool integer = digits.size() > sign;
		for (std::size_t i = sign; i < digits.size(); ++i) integer = integer && std::isdigit(static_cast<unsigned char>(digits[i]));
		if (integer)
		{
			if (digits.size() > sign + 1 && digits[sign] == '0') fail("leading zero in " + word);
			errno = 0;
			char* end = nullptr;
			v.number = std::strtoll(digits.c_str(), &end, 10);
			if (errno == ERANGE) fail("integer out of range: " + word);
			v.kind = Value::INTEGER;
			return v;
		}
		// A float, a date, inf or nan: accepted for keys that are ignored.
		for (char d: digits)
			if (!std::isalnum(static_cast<unsigned char>(d)) && !std::strchr("+-.:", d)) fail("invalid value " + word);
		return v;
	}

	Value string()
	{
		Value v;
		v.kind = Value::STRING;
		const char quote = peek();
		++_at;
		if (_text.compare(_at, 2, std::string(2, quote)) == 0) fail("multi-line strings are not supported here");
		for (;;)
		{
			if (atEnd() || peek() == '\n') fail("unterminated string");
			char c = _text[_at++];
			if (c == quote) return v;
			if (c == '\\' && quote == '"')
			{
				if (atEnd()) fail("unterminated string");
				char e = _text[_at++];
				switch (e)
				{
				case 'b': v.text += '\b'; break;
				case 't': v.text += '\t'; break;
				case 'n': v.text += '\n'; break;
				case 'f': v.text += '\f'; break;
				case 'r': v.text += '\r'; break;
				case '"': v.text += '"'; break;
				case '\\': v.text += '\\'; break;
				case 'u':
				case 'U':
				{
					const std::size_t n = e == 'u' ? 4 : 8;
					if (_at + n > _text.size()) fail("invalid escape");
					unsigned long code = 0;
					for (std::size_t i = 0; i < n; ++i)
					{
						const char h = _text[_at + i];
						if (!std::isxdigit(static_cast<unsigned char>(h))) fail("invalid escape");
						code = code * 16 + static_cast<unsigned long>(std::isdigit(static_cast<unsigned char>(h)) ? h - '0' : (std::tolower(h) - 'a' + 10));
					}
					_at += n;
					if (code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) fail("invalid escape");
					std::string utf8;
					Poco::UnicodeConverter::convert(std::wstring(1, static_cast<wchar_t>(code)), utf8);
					v.text += utf8;
					break;
				}
				default:
					fail(std::string("invalid escape \\") + e);
				}
				continue;
			}
			if (static_cast<unsigned char>(c) < 0x20 && c != '\t') fail("control character in a string");
			v.text += c;
		}
	}

	Value array()
	{
		Value v;
		v.kind = Value::ARRAY;
		++_at;
		for (;;)
		{
			skipSpaceAndNewlines();
			if (peek() == ']')
			{
				++_at;
				return v;
			}
			if (peek() == '[') fail("nested arrays are not supported here");
			v.items.push_back(value());
			skipSpaceAndNewlines();
			if (peek() == ',')
			{
				++_at;
				continue;
			}
			if (peek() != ']') fail("',' or ']' expected in an array");
		}
	}

	std::size_t _at = 0;
	int _line = 1;

private:
	const std::string& _text;
};


std::vector<std::string> strings(const Value& v, const std::string& key, const Reader& reader)
{
	if (v.kind != Value::ARRAY) reader.fail(key + " must be an array of strings");
	std::vector<std::string> out;
	for (const Value& item: v.items)
	{
		if (item.kind != Value::STRING) reader.fail(key + " must be an array of strings");
		out.push_back(item.text);
	}
	return out;
}


} // namespace


IsolationConfig IsolationConfig::parse(const std::string& text)
{
	IsolationConfig config;
	Reader reader(text);
	std::string table;
	std::set<std::string> seen;
	while (!reader.atEnd())
	{
		if (reader.endOfLine()) continue;
		reader.skipBlanks();
		if (reader.peek() == '[')
		{
			++reader._at;
			if (reader.peek() == '[') reader.fail("arrays of tables are not supported here");
			table = reader.key();
			if (reader.peek() != ']') reader.fail("']' expected");
			++reader._at;
			if (!seen.insert("[" + table + "]").second) reader.fail("table [" + table + "] defined twice");
			if (!reader.endOfLine()) reader.fail("garbage after [" + table + "]");
			continue;
		}
		const std::string key = reader.key();
		if (reader.peek() != '=') reader.fail("'=' expected after " + key);
		++reader._at;
		const Value value = reader.value();
		if (!reader.endOfLine()) reader.fail("garbage after the value of " + key);
		const std::string full = table.empty() ? key : table + "." + key;
		if (!seen.insert(full).second) reader.fail(full + " defined twice");
		if (full == "upper_root")
		{
			if (value.kind != Value::STRING) reader.fail("upper_root must be a string");
			config.upperRoot = value.text;
		}
		else if (full == "upper_max_bytes" || full == "diff_max_bytes")
		{
			if (value.kind != Value::INTEGER || value.number < 0) reader.fail(full + " must be a non-negative integer");
			(full == "upper_max_bytes" ? config.upperMaxBytes : config.diffMaxBytes) = value.number;
		}
		else if (full == "allowed_writable")
		{
			config.allowedWritable = strings(value, full, reader);
		}
		else if (full == "seccomp.deny")
		{
			config.seccompDeny = strings(value, full, reader);
		}
	}
	return config;
}


IsolationConfig IsolationConfig::load(const std::string& path)
{
	if (path.empty()) return IsolationConfig();
	struct stat st;
	if (::stat(path.c_str(), &st) != 0 && errno == ENOENT) return IsolationConfig();
	std::ifstream in(path, std::ios::binary);
	if (!in) throw Poco::FileException("cannot read the isolation config " + path + ": " + std::strerror(errno));
	std::string text;
	char buffer[65536];
	while (in.read(buffer, sizeof(buffer)) || in.gcount() > 0)
	{
		text.append(buffer, static_cast<std::size_t>(in.gcount()));
		if (text.size() > MAX_BYTES) throw Poco::DataFormatException("the isolation config " + path + " is larger than 1 MiB");
	}
	if (in.bad()) throw Poco::FileException("cannot read the isolation config " + path);
	try
	{
		return parse(text);
	}
	catch (Poco::SyntaxException& exc)
	{
		throw Poco::SyntaxException("invalid isolation config " + path + ": " + exc.message());
	}
}


} } // namespace execd::isolation
