#pragma once

#include "execd/Core.h"
#include <cstddef>
#include <map>
#include <string>
#include <vector>


namespace execd {


class EXECD_API EnvFile
	/// An environment file such as the one EXECD_ENVS names: variables for the
	/// processes execd starts for users (see UserEnvironment). One entry a line:
	///
	///     KEY=value         the value trimmed, then $NAME and ${NAME} expanded
	///     KEY="value"       escapes \n \r \t \\ \" decoded, then expanded; may span lines
	///     KEY='value'       literal; may span lines
	///     export KEY=...    the same as KEY=... (so that the shell can source the file)
	///     # a comment       skipped, as are blank lines
	///
	/// KEY is a shell name ([A-Za-z_][A-Za-z0-9_]*). After a closing quote only
	/// blanks or a "# comment" may follow. CRLF line ends read as LF, inside quotes
	/// too. A later entry for a KEY replaces an earlier one.
	///
	/// Expansion is that of Go's os.ExpandEnv, over the environment given to
	/// parse() and never over the file's own entries: an undefined name expands to
	/// nothing, and what a name expands to is not expanded again.
	///
	/// An entry that is malformed (no '=', no valid name, an unterminated quote,
	/// text after the closing quote, a NUL byte) or too long is skipped with a
	/// warning naming its line; the entries after it are read as usual. Warnings
	/// name keys but never quote a value or a line: the file may hold secrets.
{
public:
	using Variables = std::map<std::string, std::string>;

	static constexpr std::size_t MAX_FILE_BYTES = 1024 * 1024;
		/// A larger file is ignored as a whole, with one warning.

	static constexpr std::size_t MAX_ENTRY_BYTES = 128 * 1024 - 1;
		/// The longest "KEY=value" after expansion: the kernel's limit on one
		/// environment string (MAX_ARG_STRLEN, with its NUL). A longer one would
		/// make every exec fail with E2BIG; it is skipped.

	static constexpr std::size_t MAX_TOTAL_BYTES = 1024 * 1024;
		/// All entries together ("KEY=value" each, after expansion); an entry that
		/// would pass it is skipped.

	static constexpr std::size_t MAX_WARNINGS = 100;
		/// Warnings kept; any more are only counted (moreWarnings()).

	struct Warning
	{
		std::size_t line = 0;       ///< where the entry starts, 1-based; 0 = the file as a whole
		std::string message;        ///< e.g. "KEY: unterminated double-quoted value; skipped"
	};

	static bool isName(const std::string& name);
		/// A shell variable name: [A-Za-z_][A-Za-z0-9_]*.

	static EnvFile parse(const std::string& text, const Variables& environment);
		/// The entries of text (a file's contents); $NAME expands from environment.

	static EnvFile read(const std::string& path, const Variables& environment);
		/// Reads and parses the file at path. A file that cannot be opened, is not a
		/// regular file (a FIFO is never waited for) or is larger than
		/// MAX_FILE_BYTES gives no entries and one warning (line 0).

	const Variables& entries() const;
	const std::vector<Warning>& warnings() const;     ///< the first MAX_WARNINGS, in file order
	std::size_t moreWarnings() const;                 ///< how many more there were

private:
	struct Cursor
	{
		const std::string& text;
		std::size_t pos;            ///< start of the current line
		std::size_t line;           ///< its number
	};

	void parseEntry(Cursor& cursor, const Variables& environment);
		/// One entry, or one skipped line; leaves the cursor at the next line.

	bool parseQuoted(Cursor& cursor, std::size_t open, const std::string& key, std::string& value);
		/// The quoted value whose opening quote is at text[open]: its raw content in
		/// value. Moves the cursor past the closing quote's line when it is well
		/// formed; false (with a warning) when it is not.

	void add(std::size_t line, const std::string& key, const std::string& value);
	void warn(std::size_t line, const std::string& message);

	Variables _entries;
	std::vector<Warning> _warnings;
	std::size_t _moreWarnings = 0;
	std::size_t _totalBytes = 0;
};


} // namespace execd
