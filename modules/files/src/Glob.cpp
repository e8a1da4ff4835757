#include "Glob.h"
#include <utility>


namespace execd {
namespace files {


namespace {


const std::size_t ROWS = 5;   // match() looks at most 4 bytes (one UTF-8 character) ahead


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
	_status(compile())
{
}


Glob::Status Glob::status() const
{
	return _status;
}


bool Glob::valid() const
{
	return _status == VALID;
}


std::string Glob::message() const
{
	switch (_status)
	{
	case VALID:
		return "";
	case SYNTAX_ERROR:
		return "syntax error in pattern";
	case TOO_LONG:
		return "the pattern is longer than " + std::to_string(MAX_PATTERN_BYTES) + " bytes, the limit";
	case TOO_DEEP:
		return "the pattern nests {...} and !(...) deeper than " + std::to_string(MAX_NESTING) + " levels, the limit";
	}
	return "";
}


const std::string& Glob::pattern() const
{
	return _pattern;
}


// ------------------------------------------------------------ compiling
//
// Thompson-style: each node is added to the sequence being compiled, and the
// nodes "dangling" at the end of that sequence get it as their next. A group's
// alternatives and a "!(...)" body continue, at their end, with whatever follows
// the group: their dangling nodes are handed to the enclosing sequence on close.
// Every next therefore points to a later node, which match() relies on.


Glob::Status Glob::compile()
{
	if (_pattern.size() > MAX_PATTERN_BYTES) return TOO_LONG;
	std::vector<Frame> frames(1);
	Status status = VALID;
	for (std::size_t i = 0; i < _pattern.size() && status == VALID;)
		i = compileAt(i, frames, status);
	if (status != VALID) return status;
	if (frames.size() > 1) return SYNTAX_ERROR;   // an unclosed "{" or "!("
	add(Node(), frames.back());
	_start = frames.back().start;
	// "**" followed by an unescaped "/" may skip both (at a segment start, which
	// match() knows): known only now that every next is linked. A run of stars
	// goes on across the end of an alternative or body ("{*}*/x" has "**/").
	for (Node& node: _nodes)
	{
		if (node.kind != STAR) continue;
		std::size_t stars = node.stars;
		int after = node.next;
		while (_nodes[after].kind == STAR)
		{
			stars += _nodes[after].stars;
			after = _nodes[after].next;
		}
		if (stars >= 2 && _nodes[after].kind == LITERAL && _nodes[after].slash)
		{
			node.skip = true;
			node.skipTo = _nodes[after].next;
		}
	}
	return VALID;
}


std::size_t Glob::compileAt(std::size_t i, std::vector<Frame>& frames, Status& status)
	// Compiles the item at i; returns the index after it.
{
	const std::string& p = _pattern;
	Frame& frame = frames.back();
	Node node;
	node.kind = LITERAL;
	node.byte = p[i];
	switch (p[i])
	{
	case '\\':
		if (i + 1 >= p.size())
		{
			status = SYNTAX_ERROR;
			return i + 1;
		}
		node.byte = p[i + 1];
		add(node, frame);
		return i + 2;
	case '*':
	{
		std::size_t j = i;
		while (j < p.size() && p[j] == '*') ++j;
		node.kind = STAR;
		node.stars = j - i;
		add(node, frame);
		return j;
	}
	case '?':
		node.kind = ANY;
		add(node, frame);
		return i + 1;
	case '[':
		if (!classEnd(p, i, node.end))
		{
			status = SYNTAX_ERROR;
			return i + 1;
		}
		node.kind = CLASS;
		node.open = i;
		add(node, frame);
		return node.end + 1;
	case '{':
	case '!':
	case ',':
	case '}':
	case '(':
	case ')':
	{
		std::size_t after = compileGroup(i, frames, status);
		if (after != 0) return after;
		break;
	}
	default:
		break;
	}
	node.slash = p[i] == '/';
	add(node, frame);
	return i + 1;
}


std::size_t Glob::compileGroup(std::size_t i, std::vector<Frame>& frames, Status& status)
	// "{", ",", "}", "!(", "(" and ")" at i: the index after the item, or 0 when the
	// character is a literal here (a "," or "}" outside a group, a ")" outside "!(").
{
	const std::string& p = _pattern;
	Frame& frame = frames.back();
	const bool inGroup = frame.node >= 0 && _nodes[frame.node].kind == GROUP;
	const bool inNot = frame.node >= 0 && _nodes[frame.node].kind == NOT;
	switch (p[i])
	{
	case '{':
	case '!':
		if (p[i] == '!' && (i + 1 >= p.size() || p[i + 1] != '('))
		{
			status = SYNTAX_ERROR;
			return i + 1;
		}
		if (frames.size() > MAX_NESTING)
		{
			status = TOO_DEEP;
			return i + 1;
		}
		open(p[i] == '{' ? GROUP : NOT, frames);
		return p[i] == '{' ? i + 1 : i + 2;
	case ',':
		if (!inGroup) return 0;
		endAlternative(frame);
		return i + 1;
	case '}':
		if (!inGroup) return 0;
		close(frames);
		return i + 1;
	case '(':
		if (inNot) ++frame.parentheses;   // a literal, but it pairs with a ")"
		return 0;
	case ')':
		if (!inNot) return 0;
		if (frame.parentheses > 0)
		{
			--frame.parentheses;
			return 0;
		}
		close(frames);
		return i + 1;
	default:
		return 0;
	}
}


int Glob::add(Node node, Frame& frame)
	// Appends node to the frame's sequence.
{
	int index = static_cast<int>(_nodes.size());
	_nodes.push_back(std::move(node));
	for (int d: frame.dangling) _nodes[d].next = index;
	frame.dangling.assign(1, index);
	if (frame.start < 0) frame.start = index;
	return index;
}


void Glob::open(Kind kind, std::vector<Frame>& frames)
{
	Node node;
	node.kind = kind;
	int index = add(std::move(node), frames.back());
	frames.back().dangling.clear();   // handed back by close()
	Frame inner;
	inner.node = index;
	frames.push_back(std::move(inner));
}


void Glob::endAlternative(Frame& frame)
{
	_nodes[frame.node].alternatives.push_back(frame.start);
	frame.exits.insert(frame.exits.end(), frame.dangling.begin(), frame.dangling.end());
	frame.start = -1;
	frame.dangling.clear();
}


void Glob::close(std::vector<Frame>& frames)
{
	Frame inner = std::move(frames.back());
	frames.pop_back();
	const bool group = _nodes[inner.node].kind == GROUP;
	if (group)
		endAlternative(inner);
	else
		_nodes[inner.node].body = inner.start;
	// The group's (or body's) ends, and the node itself (for an empty alternative
	// or body), continue with what follows it.
	Frame& outer = frames.back();
	outer.dangling = group ? std::move(inner.exits) : std::move(inner.dangling);
	outer.dangling.push_back(inner.node);
}


// ------------------------------------------------------------- matching
//
// M(node, i, segment) = "name[i..] matches the pattern from node on", where
// segment says that the pattern character before node was "/" or that node
// starts the pattern, an alternative or a "!(" body (a "**/" may skip there).
// Every node depends only on later nodes at the same i, and on any node at
// i + 1 ... i + 4: rows are computed from the end of the name back, each from
// the last node to the first, and five rows are kept.


bool Glob::match(const std::string& name) const
{
	if (_status != VALID) return false;
	const std::size_t count = _nodes.size();
	std::vector<unsigned char> rows(ROWS * count * 2);
	for (std::size_t ni = name.size() + 1; ni-- > 0;)
	{
		unsigned char* row = &rows[(ni % ROWS) * count * 2];
		for (std::size_t k = count; k-- > 0;)
		{
			const Node& node = _nodes[k];
			row[2 * k] = evaluate(node, static_cast<int>(k), ni, name, rows, false);
			row[2 * k + 1] = node.kind == STAR && node.skip ? evaluate(node, static_cast<int>(k), ni, name, rows, true) : row[2 * k];
		}
	}
	return rows[_start * 2 + 1] != 0;
}


bool Glob::evaluate(const Node& node, int self, std::size_t ni, const std::string& name, const std::vector<unsigned char>& rows, bool segment) const
{
	const std::size_t count = _nodes.size();
	auto at = [&](std::size_t i, int k, bool s) {
		return rows[((i % ROWS) * count + static_cast<std::size_t>(k)) * 2 + (s ? 1 : 0)] != 0;
	};
	const bool more = ni < name.size();
	switch (node.kind)
	{
	case END:
		return !more;
	case LITERAL:
		return more && name[ni] == node.byte && at(ni + 1, node.next, node.byte == '/');
	case ANY:
		return more && at(ni + charLength(name, ni), node.next, false);
	case CLASS:
	{
		if (!more) return false;
		std::size_t length = charLength(name, ni);
		return classMatches(_pattern, node.open, node.end, name, ni, length) && at(ni + length, node.next, false);
	}
	case STAR:
		if (segment) return at(ni, node.skipTo, true);   // "**/" skipped
		return at(ni, node.next, false) || (more && at(ni + 1, self, false));
	case GROUP:
		for (int a: node.alternatives)
			if (at(ni, a < 0 ? node.next : a, true)) return true;
		return false;
	case NOT:
		return !at(ni, node.body < 0 ? node.next : node.body, true);
	}
	return false;
}


} } // namespace execd::files
