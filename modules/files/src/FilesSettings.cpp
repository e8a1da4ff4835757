#include "FilesSettings.h"


namespace execd {
namespace files {


FilesSettings FilesSettings::from(const ConfigReader& config)
{
	FilesSettings s;
	s.walkMaxEntries = static_cast<std::size_t>(config.getInt64("walkMaxEntries", static_cast<Poco::Int64>(s.walkMaxEntries), 1, 1000000000LL));
	s.replaceMaxBytes = static_cast<std::size_t>(config.getInt64("replaceMaxBytes", static_cast<Poco::Int64>(s.replaceMaxBytes), 0, 1LL << 40));
	s.watchMaxDirectories = static_cast<std::size_t>(config.getInt64("watchMaxDirectories", static_cast<Poco::Int64>(s.watchMaxDirectories), 1, 10000000LL));
	s.gzipDownloads = config.getBool("gzipDownloads", s.gzipDownloads);
	return s;
}


} } // namespace execd::files
