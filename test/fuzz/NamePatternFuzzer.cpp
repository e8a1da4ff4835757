// The isolated search's pattern (execd::isolation::NamePattern, Go's filepath.Match):
// the input is "<pattern>\n<name>". A slow input fails through libFuzzer's -timeout.

#include "FuzzSupport.h"
#include "NamePattern.h"
#include <cstring>


extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
	const char* text = reinterpret_cast<const char*>(data);
	const char* newline = static_cast<const char*>(std::memchr(text, '\n', size));
	const std::string pattern(text, newline ? static_cast<size_t>(newline - text) : size);
	const std::string name = newline ? std::string(newline + 1, size - static_cast<size_t>(newline + 1 - text)) : pattern;
	execd::fuzz::onRequestStack([&]
	{
		execd::isolation::NamePattern matcher(pattern);
		if (!matcher.valid())
		{
			execd::fuzz::require(!matcher.match(name), "an invalid pattern matched");
			return;
		}
		matcher.match(name);
		matcher.match("");
		// A pattern without metacharacters matches itself (and "*" anything without "/").
		if (pattern.find_first_of("*?[\\") == std::string::npos)
			execd::fuzz::require(matcher.match(pattern), "a literal pattern does not match itself");
		if (name.find('/') == std::string::npos)
			execd::fuzz::require(execd::isolation::NamePattern("*").match(name), "* does not match a name");
	});
	return 0;
}
