// The parser of the EXECD_ENVS file (execd::EnvFile): anyone who can write that
// file in the sandbox writes its input, and every command reads it.

#include "FuzzSupport.h"
#include "execd/EnvFile.h"
#include <cctype>


using execd::EnvFile;
using execd::fuzz::require;


namespace {


bool validName(const std::string& name)
{
	if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
	for (char c: name)
	{
		if (c != '_' && !std::isalnum(static_cast<unsigned char>(c))) return false;
	}
	return true;
}


void checkWarning(const EnvFile::Warning& warning, std::size_t lines)
	// A warning is one of the parser's own sentences, at most behind a key: no
	// text of the file other than a name can be in it.
{
	require(warning.line >= 1 && warning.line <= lines, "a warning names line " + std::to_string(warning.line));
	std::string message = warning.message;
	std::size_t colon = message.find(": ");
	if (colon != std::string::npos)
	{
		require(validName(message.substr(0, colon)), "a warning starts with something else than a key: " + message);
		message = message.substr(colon + 2);
	}
	static const char* const SENTENCES[] = {"no '='; skipped", "the text before '=' is not a variable name; skipped",
		"unterminated double-quoted value; skipped", "unterminated single-quoted value; skipped",
		"text after the closing quote; skipped", "the value holds a NUL byte; skipped", "longer than 128 KiB; skipped",
		"the entries pass 1 MiB in all; skipped"};
	for (const char* sentence: SENTENCES)
	{
		if (message == sentence) return;
	}
	execd::fuzz::finding("a warning the parser does not write: " + warning.message);
}


} // namespace


extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
	static const EnvFile::Variables env{{"HOME", "/home/fuzz"}, {"A", "a"}, {"EMPTY", ""}, {"REF", "$A ${A}"},
		{"BIG", std::string(40000, 'b')}, {"1", "one"}};
	const std::string text(reinterpret_cast<const char*>(data), size);
	EnvFile file = EnvFile::parse(text, env);

	std::size_t total = 0;
	for (const auto& kv: file.entries())
	{
		require(validName(kv.first), "an entry's name is not a variable name: " + kv.first);
		require(kv.first.size() + 1 + kv.second.size() <= EnvFile::MAX_ENTRY_BYTES, "an entry is too long: " + kv.first);
		require(kv.second.find('\0') == std::string::npos, "a value holds a NUL byte: " + kv.first);
		total += kv.first.size() + 1 + kv.second.size();
	}
	require(total <= EnvFile::MAX_TOTAL_BYTES, "the entries are too long in all");
	std::size_t lines = 1;
	for (char c: text)
		if (c == '\n') ++lines;
	for (const EnvFile::Warning& w: file.warnings()) checkWarning(w, lines);

	// Written back in the lossless form, the entries read as they are.
	std::string rewritten;
	for (const auto& kv: file.entries())
	{
		if (kv.second.find('\'') == std::string::npos && kv.second.find("\r\n") == std::string::npos)
			rewritten += "export " + kv.first + "='" + kv.second + "'\n";
	}
	EnvFile again = EnvFile::parse(rewritten, env);
	require(again.warnings().empty(), "the entries written back do not parse cleanly");
	for (const auto& kv: again.entries())
		require(file.entries().at(kv.first) == kv.second, "an entry written back reads differently: " + kv.first);
	return 0;
}
