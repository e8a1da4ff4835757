#pragma once

#include <string>


namespace execd {
namespace files {


class Glob
	/// The pattern language of GET /files/search (doublestar v4 as upstream uses
	/// it), matched against a base name: "*", "?", "[...]" with "!"/"^" negation,
	/// "{a,b}" alternation (nestable, empty alternatives allowed), "\" escapes,
	/// "**" ("**/" at a segment start matches zero segments here, since a base
	/// name has no "/"), and "!(sub)": the rest of the name must not match sub
	/// followed by the rest of the pattern.
{
public:
	explicit Glob(std::string pattern);

	bool valid() const;
		/// False for a syntax error: an unclosed "[" or "{", an empty class or
		/// "[]...", a trailing "\", a "!" not followed by "(...)".

	bool match(const std::string& name) const;
		/// Call only when valid().

	const std::string& pattern() const;

private:
	static bool matchAt(const std::string& p, std::size_t pi, const std::string& n, std::size_t ni);
	static bool validate(const std::string& p);

	std::string _pattern;
	bool _valid;
};


} } // namespace execd::files
