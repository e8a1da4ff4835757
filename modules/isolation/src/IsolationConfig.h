#pragma once

#include <optional>
#include <string>
#include <vector>


namespace execd {
namespace isolation {


struct IsolationConfig
	/// Upstream's isolation file (contract §3.8; --isolation-config or
	/// EXECD_ISOLATION_CONFIG): upper_root, upper_max_bytes, diff_max_bytes,
	/// allowed_writable and [seccomp] deny. Each is set only when the file has it.
{
	std::optional<std::string> upperRoot;
	std::optional<long long> upperMaxBytes;
	std::optional<long long> diffMaxBytes;
	std::optional<std::vector<std::string>> allowedWritable;
	std::optional<std::vector<std::string>> seccompDeny;

	static constexpr std::size_t MAX_BYTES = 1024 * 1024;
		/// A larger file is refused.

	static IsolationConfig parse(const std::string& text);
		/// The TOML these keys need, read strictly: comments, [tables], bare or
		/// quoted keys, basic and literal strings (with TOML's escapes), integers
		/// (sign, "_" separators), arrays of those (over several lines, trailing
		/// comma), booleans and floats (read, unused). Other keys and tables are
		/// ignored, as upstream's decoder does. Throws Poco::SyntaxException
		/// ("line N: ...") for what is not TOML, a duplicate key or a wrong type.

	static IsolationConfig load(const std::string& path);
		/// A missing path or file gives the defaults (nothing set); an unreadable
		/// or invalid one throws Poco::Exception (execd exits 1 then).
};


} } // namespace execd::isolation
