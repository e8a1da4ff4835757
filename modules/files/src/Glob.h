#pragma once

#include <cstddef>
#include <string>
#include <vector>


namespace execd {
namespace files {


class Glob
	/// The pattern language of GET /files/search (doublestar v4 as upstream uses
	/// it), matched against a base name: "*", "?", "[...]" with "!"/"^" negation,
	/// "{a,b}" alternation (nestable, empty alternatives allowed), "\" escapes,
	/// "**" ("**/" at a segment start matches zero segments here, since a base
	/// name has no "/"), and "!(sub)": the rest of the name must not match sub
	/// followed by the rest of the pattern.
	///
	/// A pure function of its inputs, with no file system access and no recursion:
	/// the constructor compiles the pattern into a graph of nodes (iteratively, with
	/// an explicit stack of open groups), and match() evaluates it by dynamic
	/// programming over (node, name position), from the end of the name back, in
	/// O(pattern length x name length) time and O(pattern length) memory, whatever
	/// the pattern. Thread-safe: match() is const and keeps no state.
	///
	/// Usage, e.g. from a fuzz target:
	///     Glob glob(pattern);
	///     if (glob.valid()) glob.match(name);
{
public:
	static constexpr std::size_t MAX_PATTERN_BYTES = 1024;
		/// The longest pattern accepted.

	static constexpr std::size_t MAX_NESTING = 32;
		/// The deepest nesting of "{...}" and "!(...)" accepted.

	enum Status
	{
		VALID,
		SYNTAX_ERROR,   ///< an unclosed "[", "{" or "!(", an empty class or "[]...", a trailing "\", a "!" without "("
		TOO_LONG,       ///< longer than MAX_PATTERN_BYTES
		TOO_DEEP        ///< nested deeper than MAX_NESTING
	};

	explicit Glob(std::string pattern);
		/// Compiles pattern; never throws for any input (but std::bad_alloc).

	Status status() const;

	bool valid() const;
		/// status() == VALID.

	std::string message() const;
		/// Why the pattern is not valid, for an error message ("" when it is).

	bool match(const std::string& name) const;
		/// True when name matches; always false when not valid(). Any bytes are
		/// accepted; UTF-8 sequences count as one character for "?" and classes.

	const std::string& pattern() const;

private:
	enum Kind
	{
		LITERAL,   ///< one byte
		ANY,       ///< "?"
		CLASS,     ///< "[...]", from _pattern[open] to _pattern[end]
		STAR,      ///< a run of "*"
		GROUP,     ///< "{...}": alternatives
		NOT,       ///< "!(...)": body
		END
	};

	struct Node
	{
		Kind kind = END;
		int next = -1;                    ///< the continuation; always a later node
		char byte = 0;                    ///< LITERAL
		bool slash = false;               ///< LITERAL: an unescaped "/"
		bool skip = false;                ///< STAR: "**" before "/": may skip "**/" at a segment start
		int skipTo = -1;                  ///< STAR: the node after that "/"
		std::size_t stars = 0;            ///< STAR
		std::size_t open = 0;             ///< CLASS
		std::size_t end = 0;              ///< CLASS
		std::vector<int> alternatives;    ///< GROUP: first node of each, -1 for an empty one
		int body = -1;                    ///< NOT: first node, -1 for an empty body
	};

	struct Frame
		/// A sequence being compiled: the whole pattern, or one inside a group or "!(".
	{
		int node = -1;                    ///< the GROUP or NOT node; -1 for the pattern itself
		int start = -1;                   ///< first node of the current sequence
		std::vector<int> dangling;        ///< nodes whose next is the next node of the sequence
		std::vector<int> exits;           ///< GROUP: dangling of the finished alternatives
		int parentheses = 0;              ///< NOT: open "(" inside the body (literals)
	};

	Status compile();
	std::size_t compileAt(std::size_t i, std::vector<Frame>& frames, Status& status);
	std::size_t compileGroup(std::size_t i, std::vector<Frame>& frames, Status& status);
	int add(Node node, Frame& frame);
	void open(Kind kind, std::vector<Frame>& frames);
	void endAlternative(Frame& frame);
	void close(std::vector<Frame>& frames);
	bool evaluate(const Node& node, int self, std::size_t ni, const std::string& name, const std::vector<unsigned char>& rows, bool segment) const;

	std::string _pattern;
	std::vector<Node> _nodes;
	int _start = -1;
	Status _status;
};


} } // namespace execd::files
