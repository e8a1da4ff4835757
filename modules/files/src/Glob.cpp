#include "Glob.h"
#include <vector>


namespace execd {
namespace files {


namespace {


std::size_t charLength(const std::string& s, std::size_t i)
	// Bytes of the UTF-8 character at i (1 for invalid bytes).
{
	unsigned char c = static_cast<unsigned char>(s[i]);
	std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
	if (i + n > s.size()) return 1;
	for (std::size_t k = 1; k < n; ++k)
		if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 1;
	return n;
}


std::size_t closing(const std::string& p, std::size_t open, char left, char right)
	// The index of the bracket closing the one at open (nesting and escapes
	// respected), or npos.
{
	int depth = 0;
	for (std::size_t i = open; i < p.size(); ++i)
	{
		if (p[i] == '\\')
		{
			++i;
			continue;
		}
		if (p[i] == '[' && left != '[')
		{
			// Skip a class: its "{", "}" or ")" are literal.
			std::size_t j = i + 1;
			if (j < p.size() && (p[j] == '!' || p[j] == '^')) ++j;
			if (j < p.size() && p[j] == ']') ++j;
			while (j < p.size() && p[j] != ']')
				j += p[j] == '\\' ? 2 : 1;
			if (j >= p.size()) return std::string::npos;
			i = j;
			continue;
		}
		if (p[i] == left) ++depth;
		else if (p[i] == right && --depth == 0) return i;
	}
	return std::string::npos;
}


std::vector<std::string> alternatives(const std::string& body)
	// The top-level alternatives of a "{...}" body.
{
	std::vector<std::string> out;
	std::string current;
	int depth = 0;
	for (std::size_t i = 0; i < body.size(); ++i)
	{
		char c = body[i];
		if (c == '\\' && i + 1 < body.size())
		{
			current += c;
			current += body[++i];
			continue;
		}
		if (c == '{') ++depth;
		else if (c == '}') --depth;
		if (c == ',' && depth == 0)
		{
			out.push_back(current);
			current.clear();
			continue;
		}
		current += c;
	}
	out.push_back(current);
	return out;
}


bool classEnd(const std::string& p, std::size_t open, std::size_t& end)
	// "[...]" starting at open: its closing index; false when unclosed or empty.
{
	std::size_t j = open + 1;
	if (j < p.size() && (p[j] == '!' || p[j] == '^')) ++j;
	if (j >= p.size() || p[j] == ']') return false;   // "[]" and "[]a]" are errors
	while (j < p.size() && p[j] != ']')
	{
		if (p[j] == '\\')
		{
			if (j + 1 >= p.size()) return false;
			j += 2;
			continue;
		}
		++j;
	}
	if (j >= p.size()) return false;
	end = j;
	return true;
}


bool classMatches(const std::string& p, std::size_t open, std::size_t end, const std::string& n, std::size_t ni, std::size_t len)
{
	std::size_t j = open + 1;
	bool negated = false;
	if (p[j] == '!' || p[j] == '^')
	{
		negated = true;
		++j;
	}
	auto decode = [](const std::string& s, std::size_t i, std::size_t l) {
		unsigned long v = 0;
		for (std::size_t k = 0; k < l; ++k) v = (v << 8) | static_cast<unsigned char>(s[i + k]);
		return v;
	};
	unsigned long c = decode(n, ni, len);
	bool found = false;
	while (j < end)
	{
		if (p[j] == '\\') ++j;
		std::size_t l = charLength(p, j);
		unsigned long lo = decode(p, j, l);
		j += l;
		unsigned long hi = lo;
		if (j + 1 < end && p[j] == '-')
		{
			++j;
			if (p[j] == '\\') ++j;
			std::size_t l2 = charLength(p, j);
			hi = decode(p, j, l2);
			j += l2;
		}
		if (lo <= c && c <= hi) found = true;
	}
	return found != negated;
}


} // namespace


Glob::Glob(std::string pattern):
	_pattern(std::move(pattern)),
	_valid(validate(_pattern))
{
}


bool Glob::valid() const
{
	return _valid;
}


const std::string& Glob::pattern() const
{
	return _pattern;
}


bool Glob::match(const std::string& name) const
{
	return _valid && matchAt(_pattern, 0, name, 0);
}


bool Glob::validate(const std::string& p)
{
	for (std::size_t i = 0; i < p.size(); ++i)
	{
		char c = p[i];
		if (c == '\\')
		{
			if (i + 1 >= p.size()) return false;
			++i;
		}
		else if (c == '[')
		{
			std::size_t end;
			if (!classEnd(p, i, end)) return false;
			i = end;
		}
		else if (c == '{')
		{
			if (closing(p, i, '{', '}') == std::string::npos) return false;
		}
		else if (c == '!')
		{
			if (i + 1 >= p.size() || p[i + 1] != '(' || closing(p, i + 1, '(', ')') == std::string::npos) return false;
			++i;
		}
	}
	return true;
}


bool Glob::matchAt(const std::string& p, std::size_t pi, const std::string& n, std::size_t ni)
{
	while (pi < p.size())
	{
		char c = p[pi];
		switch (c)
		{
		case '*':
		{
			bool segmentStart = pi == 0 || p[pi - 1] == '/';
			std::size_t stars = pi;
			while (stars < p.size() && p[stars] == '*') ++stars;
			if (segmentStart && stars - pi >= 2 && stars < p.size() && p[stars] == '/')
			{
				// "**/": any number of whole segments; a base name holds none.
				pi = stars + 1;
				continue;
			}
			pi = stars;
			if (pi == p.size()) return true;
			for (std::size_t k = ni; k <= n.size(); ++k)
				if (matchAt(p, pi, n, k)) return true;
			return false;
		}
		case '?':
			if (ni >= n.size()) return false;
			ni += charLength(n, ni);
			++pi;
			continue;
		case '[':
		{
			std::size_t end;
			if (ni >= n.size() || !classEnd(p, pi, end)) return false;
			std::size_t len = charLength(n, ni);
			if (!classMatches(p, pi, end, n, ni, len)) return false;
			ni += len;
			pi = end + 1;
			continue;
		}
		case '{':
		{
			std::size_t end = closing(p, pi, '{', '}');
			if (end == std::string::npos) return false;
			std::string rest = p.substr(end + 1);
			for (const std::string& alt: alternatives(p.substr(pi + 1, end - pi - 1)))
				if (matchAt(alt + rest, 0, n, ni)) return true;
			return false;
		}
		case '!':
		{
			std::size_t end = closing(p, pi + 1, '(', ')');
			if (end == std::string::npos) return false;
			return !matchAt(p.substr(pi + 2, end - pi - 2) + p.substr(end + 1), 0, n, ni);
		}
		case '\\':
			++pi;
			if (pi >= p.size() || ni >= n.size() || n[ni] != p[pi]) return false;
			++pi;
			++ni;
			continue;
		default:
			if (ni >= n.size() || n[ni] != c) return false;
			++pi;
			++ni;
			continue;
		}
	}
	return ni == n.size();
}


} } // namespace execd::files
