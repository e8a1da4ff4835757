#include "NamePattern.h"


namespace execd {
namespace isolation {


NamePattern::NamePattern(const std::string& pattern)
{
	_valid = pattern.size() <= MAX_PATTERN_BYTES && compile(pattern);
	if (!_valid) _tokens.clear();
}


bool NamePattern::valid() const
{
	return _valid;
}


unsigned NamePattern::decode(const std::string& text, std::size_t at, std::size_t& length)
	// One UTF-8 character at text[at]: its code point, or 0xFFFD for an invalid
	// byte, which is one character of length 1 (as Go's utf8.DecodeRuneInString).
{
	const unsigned char b = static_cast<unsigned char>(text[at]);
	length = 1;
	if (b < 0x80) return b;
	std::size_t n = b >= 0xF0 && b < 0xF5 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 && b < 0xE0 ? 2 : 0;
	if (b >= 0xF5) n = 0;
	if (n == 0 || at + n > text.size()) return 0xFFFD;
	unsigned c = b & (0x7F >> n);
	for (std::size_t k = 1; k < n; ++k)
	{
		const unsigned char next = static_cast<unsigned char>(text[at + k]);
		if ((next & 0xC0) != 0x80) return 0xFFFD;
		c = (c << 6) | (next & 0x3F);
	}
	const unsigned least[] = {0, 0, 0x80, 0x800, 0x10000};
	if (c < least[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0xFFFD;
	length = n;
	return c;
}


bool NamePattern::readChar(const std::string& pattern, std::size_t& i, unsigned& c)
	// One character of a class (Go's getEsc): "-" and "]" must be escaped, "\"
	// takes the next character.
{
	if (i >= pattern.size() || pattern[i] == '-' || pattern[i] == ']') return false;
	if (pattern[i] == '\\')
	{
		++i;
		if (i >= pattern.size()) return false;
	}
	std::size_t length = 0;
	c = decode(pattern, i, length);
	i += length;
	return i <= pattern.size();
}


bool NamePattern::compile(const std::string& pattern)
{
	std::size_t i = 0;
	while (i < pattern.size())
	{
		Token token;
		const char c = pattern[i];
		if (c == '*')
		{
			token.kind = Token::STAR;
			++i;
			if (!_tokens.empty() && _tokens.back().kind == Token::STAR) continue;
		}
		else if (c == '?')
		{
			token.kind = Token::ANY;
			++i;
		}
		else if (c == '[')
		{
			token.kind = Token::CLASS;
			++i;
			if (i < pattern.size() && pattern[i] == '^')
			{
				token.negated = true;
				++i;
			}
			for (;;)
			{
				if (i < pattern.size() && pattern[i] == ']' && !token.ranges.empty())
				{
					++i;
					break;
				}
				unsigned lo = 0;
				if (!readChar(pattern, i, lo)) return false;
				unsigned hi = lo;
				if (i < pattern.size() && pattern[i] == '-')
				{
					++i;
					if (!readChar(pattern, i, hi) || hi < lo) return false;
				}
				token.ranges.emplace_back(lo, hi);
			}
		}
		else
		{
			if (c == '\\')
			{
				++i;
				if (i >= pattern.size()) return false;
			}
			token.byte = pattern[i];
			++i;
		}
		_tokens.push_back(std::move(token));
	}
	return true;
}


bool NamePattern::match(const std::string& name) const
{
	if (!_valid) return false;
	const std::size_t n = name.size();
	const std::size_t width = n + 1;
	// reach[t * width + p]: the first t tokens match name[0, p).
	std::vector<char> reach((_tokens.size() + 1) * width, 0);
	reach[0] = 1;
	for (std::size_t t = 0; t < _tokens.size(); ++t)
	{
		const Token& token = _tokens[t];
		char* here = &reach[t * width];
		char* next = &reach[(t + 1) * width];
		for (std::size_t p = 0; p <= n; ++p)
		{
			if (!here[p]) continue;
			if (token.kind == Token::STAR)
			{
				next[p] = 1;
				if (p < n && name[p] != '/')
				{
					std::size_t length = 0;
					decode(name, p, length);
					here[p + length] = 1;
				}
				continue;
			}
			if (p == n) continue;
			if (token.kind == Token::LITERAL)
			{
				if (name[p] == token.byte) next[p + 1] = 1;
				continue;
			}
			if (name[p] == '/') continue;
			std::size_t length = 0;
			const unsigned c = decode(name, p, length);
			bool ok = true;
			if (token.kind == Token::CLASS)
			{
				bool in = false;
				for (const auto& r: token.ranges) in = in || (c >= r.first && c <= r.second);
				ok = in != token.negated;
			}
			if (ok) next[p + length] = 1;
		}
	}
	return reach[_tokens.size() * width + n] != 0;
}


} } // namespace execd::isolation
