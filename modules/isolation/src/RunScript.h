#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>


namespace execd {
namespace isolation {


class RunScript
	/// One run in a session's shell (contract §2.6): what is written to the shell's
	/// stdin, and the reading of its merged output.
	///
	/// Without envs the code runs in the session's shell itself, so cd, variables and
	/// functions persist; with envs it runs in a subshell that exports them first.
	/// Either way a marker line with the exit status follows:
	///
	///     __ISOLATED_RUN_END___<uuid> <status>
	///
	/// Output is read line by line (split on \n, a trailing \r removed); empty lines
	/// are dropped; text before a marker in the middle of a line is a line of its own.
{
public:
	static constexpr std::size_t MAX_LINE = 16 * 1024 * 1024;   ///< longer: the run fails, as upstream's scanner does

	explicit RunScript(std::string marker);
		/// marker = "__ISOLATED_RUN_END___" + a UUID.

	std::string input(const std::string& code, const std::vector<std::pair<std::string, std::string>>& envs) const;
		/// The bytes for the shell's stdin.

	void feed(const char* data, std::size_t size, std::vector<std::string>& lines);
		/// Output as it comes; complete non-empty lines are appended to lines. Once
		/// the marker was seen, nothing more is taken. A line longer than MAX_LINE
		/// sets overflowed() and is dropped (only its end is kept, for a marker that
		/// follows it on the same line); the rest is still read for the marker.

	bool overflowed() const;
		/// A line was longer than MAX_LINE: the run fails ("read stdout:
		/// bufio.Scanner: token too long", upstream's scanner error).

	void finish(std::vector<std::string>& lines);
		/// At the end of the output: a last line without a newline counts too.

	std::optional<int> status() const;
		/// The exit status after the marker, once seen.

private:
	void line(std::string text, std::vector<std::string>& lines);

	std::string _marker;
	std::string _pending;
	std::optional<int> _status;
	bool _overflowed = false;
	bool _dropping = false;   ///< inside a line past MAX_LINE
};


} } // namespace execd::isolation
