#pragma once

#include "execd/Core.h"
#include <string>


namespace execd {


namespace Paths
	/// Path resolution as upstream does it for every path a client sends (files,
	/// directories, upload targets, PTY working directories).
{
	EXECD_API std::string expand(const std::string& path);
		/// $NAME and ${NAME} from execd's environment, then a leading ~ or ~/.
		/// Throws ApiException 500 naming the undefined variables (sorted).

	EXECD_API std::string clean(const std::string& path);
		/// Lexical cleaning as Go's path.Clean: "..", ".", "//", trailing "/".

	EXECD_API std::string absolute(const std::string& path);
		/// expand(), made absolute against execd's working directory, cleaned.

	EXECD_API std::string baseName(const std::string& path);
	EXECD_API std::string dirName(const std::string& path);
}


} // namespace execd
