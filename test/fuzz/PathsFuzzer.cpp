// Path expansion, cleaning and limits (execd::Paths, and the shell's expansion
// against a command's environment): every path a client sends goes through them.
// createDirectories() is left out: it would create what the fuzzer invents.

#include "CommandRequest.h"
#include "FuzzSupport.h"
#include "execd/Paths.h"
#include <cstdlib>
#include <map>


using namespace execd;
using execd::fuzz::require;


namespace {


void checkClean(const std::string& path)
{
	std::string clean = Paths::clean(path);
	require(!clean.empty(), "clean() returned an empty path");
	require(Paths::clean(clean) == clean, "clean() is not idempotent: " + path);
	require(clean.find("//") == std::string::npos, "clean() left //");
	require(clean == "/" || clean.back() != '/', "clean() left a trailing /");
	require((path[0] == '/') == (clean[0] == '/'), "clean() changed whether the path is rooted");
	Paths::baseName(path);
	std::string dir = Paths::dirName(path);
	require(!dir.empty(), "dirName() returned an empty path");
}


} // namespace


extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
	static const bool once = [] {
		::setenv("HOME", "/home/fuzz", 1);
		::setenv("FUZZ_A", "a", 1);
		::setenv("FUZZ_EMPTY", "", 1);
		::setenv("FUZZ_SLASH", "/x/../y/", 1);
		return true;
	}();
	(void) once;
	if (size == 0) return 0;
	const std::string path(reinterpret_cast<const char*>(data), size);
	checkClean(path);
	fuzz::expectBadInput([&] { Paths::checkLimits(path); });
	fuzz::expectBadInput([&] {
		std::string expanded = Paths::expand(path);
		require(!expanded.empty() || path.find('$') != std::string::npos || path.empty(), "expand() emptied a path without $");
	});
	fuzz::expectBadInput([&] {
		std::string absolute = Paths::absolute(path);
		require(!absolute.empty() && absolute[0] == '/', "absolute() is not absolute: " + absolute);
		require(Paths::clean(absolute) == absolute, "absolute() is not clean: " + absolute);
	});
	static const std::map<std::string, std::string> env{{"HOME", "/home/fuzz"}, {"A", "a"}, {"EMPTY", ""}, {"_", "u"}};
	fuzz::expectBadInput([&] { shell::Environment::expand(path, env); });
	return 0;
}
