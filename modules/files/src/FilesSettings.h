#pragma once

#include "execd/ConfigReader.h"
#include <cstddef>


namespace execd {
namespace files {


struct FilesSettings
	/// The module.files.* keys, read once at startup.
{
	std::size_t walkMaxEntries = 1000000;
		/// module.files.walkMaxEntries: the most entries one /files/search or
		/// /directories/list visits; past it, 400 INVALID_REQUEST_BODY.

	std::size_t replaceMaxBytes = 64 * 1024 * 1024;
		/// module.files.replaceMaxBytes: the largest file /files/replace edits, before
		/// and after the edit; past it, 413 PAYLOAD_TOO_LARGE.

	std::size_t watchMaxDirectories = 65536;
		/// module.files.watchMaxDirectories: the most directories one /files/watch
		/// stream watches; past it, 400 at the start, an "error" event later.

	bool gzipDownloads = true;
		/// module.files.gzipDownloads: Accept-Encoding: gzip is honoured for
		/// compressible files (DownloadHandler::worthGzip()).

	static FilesSettings from(const ConfigReader& config);
		/// Missing keys keep the defaults above; malformed values throw ConfigurationException.
};


} } // namespace execd::files
