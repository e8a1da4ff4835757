// Glob compile + match (GET /files/search?pattern=): the input is
// "<pattern>\n<name>". A slow input (exponential backtracking) fails through
// libFuzzer's -timeout.

#include "FuzzSupport.h"
#include "Glob.h"
#include <cstring>


extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
	const char* text = reinterpret_cast<const char*>(data);
	const char* newline = static_cast<const char*>(std::memchr(text, '\n', size));
	std::string pattern(text, newline ? static_cast<size_t>(newline - text) : size);
	std::string name = newline ? std::string(newline + 1, size - static_cast<size_t>(newline + 1 - text)) : pattern;
	execd::fuzz::onRequestStack([&] { execd::fuzz::expectBadInput([&] {
		execd::files::Glob glob(pattern);
		execd::fuzz::require(glob.pattern() == pattern, "Glob::pattern() differs from the pattern given");
		if (!glob.valid()) return;
		glob.match(name);
		glob.match(pattern);
		glob.match("");
		// Every glob without metacharacters or escapes matches itself.
		if (pattern.find_first_of("*?[]{}\\!") == std::string::npos && pattern.find('/') == std::string::npos)
			execd::fuzz::require(glob.match(pattern), "a literal pattern does not match itself");
	}); });
	return 0;
}
