#pragma once

#include <cstddef>
#include <string>
#include <vector>


namespace execd {
namespace isolation {


class NamePattern
	/// The pattern of an isolated session's search (contract §4.3): Go's
	/// filepath.Match on a base name, nothing more — "*", "?", "[...]" with "^"
	/// negation and ranges, "\" escapes; no "**", "{a,b}" or "!(...)" ("**" is two
	/// stars). A malformed pattern matches nothing, as Go's ErrBadPattern makes the
	/// search answer []. "?" and classes take one UTF-8 character (an invalid byte
	/// is one character), literals compare bytes.
	///
	/// Compiled once; match() is dynamic programming over (token, name position),
	/// O(pattern x name) time, no recursion and no backtracking, whatever the input.
{
public:
	static constexpr std::size_t MAX_PATTERN_BYTES = 1024;
		/// Longer patterns are not valid().

	explicit NamePattern(const std::string& pattern);

	bool valid() const;
	bool match(const std::string& name) const;

private:
	struct Token
	{
		enum Kind { LITERAL, ANY, STAR, CLASS } kind = LITERAL;
		char byte = 0;
		bool negated = false;
		std::vector<std::pair<unsigned, unsigned>> ranges;
	};

	bool compile(const std::string& pattern);
	static bool readChar(const std::string& pattern, std::size_t& i, unsigned& c);
	static unsigned decode(const std::string& text, std::size_t at, std::size_t& length);

	std::vector<Token> _tokens;
	bool _valid = false;
};


} } // namespace execd::isolation
