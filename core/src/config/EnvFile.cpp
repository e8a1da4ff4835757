#include "execd/EnvFile.h"
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>


namespace execd {


namespace {


bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}


std::string trim(const std::string& text, std::size_t from, std::size_t to)
	// text[from, to) without leading and trailing blanks.
{
	while (from < to && blank(text[from])) ++from;
	while (to > from && blank(text[to - 1])) --to;
	return text.substr(from, to - from);
}


bool nameChar(char c)
{
	return c == '_' || std::isalnum(static_cast<unsigned char>(c));
}


bool validName(const std::string& name)
{
	if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
	for (char c: name)
	{
		if (!nameChar(c)) return false;
	}
	return true;
}


bool shellSpecial(char c)
{
	return std::isdigit(static_cast<unsigned char>(c)) || (c != '\0' && std::strchr("*#$@!?-", c) != nullptr);
}


class Expansion
	// Go's os.Expand(text, os.Getenv) over a map, in one pass, giving up once the
	// result would pass a limit (a line of "$BIG$BIG..." must not take gigabytes).
{
public:
	Expansion(const EnvFile::Variables& environment, std::size_t limit):
		_environment(environment),
		_limit(limit)
	{
	}

	bool run(const std::string& text, std::string& out)
	{
		out.clear();
		std::size_t close = 0;            // the first '}' at or after 'close' (npos: none left)
		bool closeKnown = false;
		std::size_t i = 0;
		while (i < text.size())
		{
			std::size_t dollar = text.find('$', i);
			if (dollar == std::string::npos || dollar + 1 >= text.size())
				return append(out, text, i, text.size());   // a trailing '$' stays
			if (!append(out, text, i, dollar)) return false;
			const std::size_t s = dollar + 1;
			std::string name;
			std::size_t width = 0;
			if (text[s] == '{')
			{
				if (s + 2 < text.size() && shellSpecial(text[s + 1]) && text[s + 2] == '}')
				{
					name = text.substr(s + 1, 1);
					width = 3;
				}
				else
				{
					// Remembering the last '}' found keeps "${${${..." linear.
					if (!closeKnown || (close != std::string::npos && close <= s))
					{
						close = text.find('}', s + 1);
						closeKnown = true;
					}
					if (close == std::string::npos) width = 1;          // "${" without '}' is eaten
					else if (close == s + 1) width = 2;                 // so is "${}"
					else
					{
						name = text.substr(s + 1, close - s - 1);
						width = close - s + 1;
					}
				}
			}
			else if (shellSpecial(text[s]))
			{
				name = text.substr(s, 1);
				width = 1;
			}
			else
			{
				while (s + width < text.size() && nameChar(text[s + width])) ++width;
				name = text.substr(s, width);
			}
			if (!name.empty())
			{
				auto it = _environment.find(name);
				if (it != _environment.end() && !append(out, it->second, 0, it->second.size())) return false;
			}
			else if (width == 0 && !append(out, text, dollar, s))
			{
				return false;   // '$' followed by no name stays
			}
			i = s + width;
		}
		return true;
	}

private:
	bool append(std::string& out, const std::string& from, std::size_t begin, std::size_t end) const
	{
		if (out.size() + (end - begin) > _limit) return false;
		out.append(from, begin, end - begin);
		return true;
	}

	const EnvFile::Variables& _environment;
	std::size_t _limit;
};


std::string decodeEscapes(const std::string& raw)
	// \n \r \t \\ \" inside double quotes; any other backslash stays as it is.
{
	std::string out;
	out.reserve(raw.size());
	for (std::size_t i = 0; i < raw.size(); ++i)
	{
		char c = raw[i];
		if (c == '\\' && i + 1 < raw.size())
		{
			char next = raw[i + 1];
			const char* decoded = nullptr;
			switch (next)
			{
			case 'n': decoded = "\n"; break;
			case 'r': decoded = "\r"; break;
			case 't': decoded = "\t"; break;
			case '\\': decoded = "\\"; break;
			case '"': decoded = "\""; break;
			default: break;
			}
			if (decoded)
			{
				out += decoded;
				++i;
				continue;
			}
		}
		out += c;
	}
	return out;
}


std::string withoutCarriageReturns(const std::string& text)
	// CRLF -> LF; a lone CR stays.
{
	std::string out;
	out.reserve(text.size());
	for (std::size_t i = 0; i < text.size(); ++i)
	{
		if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
		out += text[i];
	}
	return out;
}


std::string sizeText(std::size_t bytes)
{
	if (bytes % (1024 * 1024) == 0) return std::to_string(bytes / (1024 * 1024)) + " MiB";
	if (bytes % 1024 == 0) return std::to_string(bytes / 1024) + " KiB";
	return std::to_string(bytes) + " bytes";
}


} // namespace


bool EnvFile::isName(const std::string& name)
{
	return validName(name);
}


EnvFile EnvFile::parse(const std::string& text, const Variables& environment)
{
	EnvFile file;
	const std::string normalised = withoutCarriageReturns(text);
	Cursor cursor{normalised, 0, 1};
	while (cursor.pos < normalised.size())
		file.parseEntry(cursor, environment);
	return file;
}


EnvFile EnvFile::read(const std::string& path, const Variables& environment)
{
	EnvFile file;
	// O_NONBLOCK: opening a FIFO must not wait for a writer.
	int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
	{
		file.warn(0, std::string("cannot open: ") + std::strerror(errno));
		return file;
	}
	struct stat st;
	std::string text;
	bool fits = true;
	if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
	{
		::close(fd);
		file.warn(0, "not a regular file; ignored");
		return file;
	}
	// Read at most one byte past the bound, whatever st_size says (it may grow).
	char buffer[65536];
	for (;;)
	{
		ssize_t n = ::read(fd, buffer, sizeof(buffer));
		if (n < 0 && errno == EINTR) continue;
		if (n < 0)
		{
			int error = errno;
			::close(fd);
			file.warn(0, std::string("cannot read: ") + std::strerror(error));
			return file;
		}
		if (n == 0) break;
		text.append(buffer, static_cast<std::size_t>(n));
		if (text.size() > MAX_FILE_BYTES)
		{
			fits = false;
			break;
		}
	}
	::close(fd);
	if (!fits)
	{
		file.warn(0, "larger than " + sizeText(MAX_FILE_BYTES) + "; ignored");
		return file;
	}
	return parse(text, environment);
}


const EnvFile::Variables& EnvFile::entries() const
{
	return _entries;
}


const std::vector<EnvFile::Warning>& EnvFile::warnings() const
{
	return _warnings;
}


std::size_t EnvFile::moreWarnings() const
{
	return _moreWarnings;
}


void EnvFile::parseEntry(Cursor& cursor, const Variables& environment)
{
	const std::string& text = cursor.text;
	const std::size_t start = cursor.pos;
	const std::size_t line = cursor.line;
	std::size_t eol = text.find('\n', start);
	if (eol == std::string::npos) eol = text.size();
	auto nextLine = [&]
	{
		cursor.pos = eol + 1;
		cursor.line = line + 1;
	};

	std::size_t begin = start;
	while (begin < eol && blank(text[begin])) ++begin;
	if (begin == eol || text[begin] == '#')
	{
		nextLine();
		return;
	}
	if (text.compare(begin, 6, "export") == 0 && begin + 6 < eol && blank(text[begin + 6]))
	{
		begin += 6;
		while (begin < eol && blank(text[begin])) ++begin;
	}
	// Within the line only: a file of lines without '=' must stay linear.
	const std::size_t eq = static_cast<std::size_t>(std::find(text.begin() + begin, text.begin() + eol, '=') - text.begin());
	if (eq == eol)
	{
		warn(line, "no '='; skipped");
		nextLine();
		return;
	}
	// The name is not quoted back either: a line of garbage may be a pasted secret.
	std::string key = trim(text, begin, eq);
	if (!EnvFile::isName(key))
	{
		warn(line, "the text before '=' is not a variable name; skipped");
		nextLine();
		return;
	}
	std::size_t value = eq + 1;
	while (value < eol && blank(text[value])) ++value;
	std::string raw;
	if (value < eol && (text[value] == '"' || text[value] == '\''))
	{
		const bool literal = text[value] == '\'';
		if (!parseQuoted(cursor, value, key, raw)) return;
		if (literal)
		{
			add(line, key, raw);
			return;
		}
		raw = decodeEscapes(raw);
	}
	else
	{
		raw = trim(text, value, eol);
		nextLine();
	}
	std::string expanded;
	if (!Expansion(environment, MAX_ENTRY_BYTES).run(raw, expanded))
	{
		warn(line, key + ": longer than " + sizeText(MAX_ENTRY_BYTES + 1) + "; skipped");
		return;
	}
	add(line, key, expanded);
}


bool EnvFile::parseQuoted(Cursor& cursor, std::size_t open, const std::string& key, std::string& value)
{
	const std::string& text = cursor.text;
	const char quote = text[open];
	const std::size_t line = cursor.line;
	// Each search ends at the next matching quote. One that finds none happens
	// once per kind of quote: any later quoted value would have ended it.
	std::size_t close = open + 1;
	if (quote == '\'')
	{
		close = text.find('\'', close);
	}
	else
	{
		while (close < text.size() && text[close] != '"')
			close += text[close] == '\\' ? 2 : 1;
		if (close >= text.size()) close = std::string::npos;
	}
	if (close == std::string::npos)
	{
		// The lines after it are read as entries again: with no closing quote
		// anywhere, they cannot be part of this value.
		warn(line, key + ": unterminated " + (quote == '\'' ? "single" : "double") + "-quoted value; skipped");
		std::size_t eol = text.find('\n', cursor.pos);
		cursor.pos = eol == std::string::npos ? text.size() : eol + 1;
		cursor.line = line + 1;
		return false;
	}
	std::size_t eol = text.find('\n', close);
	if (eol == std::string::npos) eol = text.size();
	std::size_t spanned = 0;
	for (std::size_t i = cursor.pos; i < eol; ++i)
		if (text[i] == '\n') ++spanned;
	cursor.pos = eol + 1;
	cursor.line = line + spanned + 1;
	std::size_t rest = close + 1;
	while (rest < eol && blank(text[rest])) ++rest;
	if (rest < eol && text[rest] != '#')
	{
		warn(line, key + ": text after the closing quote; skipped");
		return false;
	}
	value = text.substr(open + 1, close - open - 1);
	return true;
}


void EnvFile::add(std::size_t line, const std::string& key, const std::string& value)
{
	if (value.find('\0') != std::string::npos)
	{
		warn(line, key + ": the value holds a NUL byte; skipped");
		return;
	}
	const std::size_t size = key.size() + 1 + value.size();
	if (size > MAX_ENTRY_BYTES)
	{
		warn(line, key + ": longer than " + sizeText(MAX_ENTRY_BYTES + 1) + "; skipped");
		return;
	}
	auto it = _entries.find(key);
	const std::size_t replaced = it == _entries.end() ? 0 : key.size() + 1 + it->second.size();
	if (_totalBytes - replaced + size > MAX_TOTAL_BYTES)
	{
		warn(line, key + ": the entries pass " + sizeText(MAX_TOTAL_BYTES) + " in all; skipped");
		return;
	}
	_totalBytes = _totalBytes - replaced + size;
	_entries[key] = value;
}


void EnvFile::warn(std::size_t line, const std::string& message)
{
	// A file of a million bad lines must not cost a million warnings.
	if (_warnings.size() < MAX_WARNINGS)
		_warnings.push_back(Warning{line, message});
	else
		++_moreWarnings;
}


} // namespace execd
