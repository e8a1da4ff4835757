#pragma once

#include "execd/ApiException.h"
#include "execd/Core.h"
#include <cstddef>
#include <string>
#include <sys/types.h>
#include <vector>


namespace execd {


namespace Paths
	/// Path resolution as upstream does it for every path a client sends (files,
	/// directories, upload targets, PTY working directories), the limits every such
	/// path is held to, and the one way execd creates directories.
{
	constexpr std::size_t MAX_PATH_BYTES = 4095;
		/// The longest path accepted: PATH_MAX (4096) with its terminating NUL.

	constexpr std::size_t MAX_PATH_COMPONENTS = 1024;
		/// The most components ("/a/b" has two) a path may have.

	EXECD_API std::string expand(const std::string& path);
		/// $NAME and ${NAME} from execd's environment, then a leading ~ or ~/.
		/// Throws ApiException 500 naming the undefined variables (sorted).

	EXECD_API std::string clean(const std::string& path);
		/// Lexical cleaning as Go's path.Clean: "..", ".", "//", trailing "/".

	EXECD_API std::string absolute(const std::string& path);
		/// expand(), made absolute against execd's working directory, cleaned.

	EXECD_API std::string baseName(const std::string& path);
	EXECD_API std::string dirName(const std::string& path);

	EXECD_API void checkLimits(const std::string& path, const std::string& errorCode = ErrorCode::INVALID_REQUEST_BODY);
		/// Throws ApiException 400 with errorCode when path is longer than
		/// MAX_PATH_BYTES or has more than MAX_PATH_COMPONENTS components.

	EXECD_API std::vector<std::string> createDirectories(const std::string& path, mode_t mode = 0777);
		/// mkdir -p, without recursion: finds the deepest existing ancestor, then
		/// creates each missing component with mode (the umask applies), and returns
		/// the components it created, outermost first. An existing directory is
		/// fine; "" does nothing. Checks checkLimits() first (ApiException
		/// 400 INVALID_REQUEST_BODY, nothing created). A component that exists but is
		/// not a directory, or a failing mkdir, throws Poco::FileException whose
		/// code() is the errno and whose message is errorText("mkdir", component).

	EXECD_API std::string errorText(int error, const std::string& op, const std::string& path);
		/// Go's *PathError text: "<op> <path>: <strerror, first letter lowercased>".

	EXECD_API std::string findExecutable(const std::string& name, const std::vector<std::string>& alsoTry = {});
		/// The first executable file called name in a directory of execd's $PATH
		/// (/usr/local/bin:/usr/bin:/bin when unset; an empty entry is the working
		/// directory), else the first executable of alsoTry; "" when there is none.
		/// How the shell, bash, java and go of an arbitrary image are found.

	EXECD_API std::string findShell();
		/// The shell that runs commands, sessions and terminals: bash where the
		/// image has it ($PATH, then /bin/bash), else sh ($PATH, then /bin/sh).
		/// "/bin/sh" when there is neither, for the error to name it.

	EXECD_API bool isBash(const std::string& shell);
		/// True when the file name of shell starts with "bash" (bash, bash5 ...).

	EXECD_API std::string shellQuote(const std::string& text);
		/// text as one word for sh: in single quotes, each ' written as '\''.
}


} // namespace execd
