#pragma once

#include "FilesSettings.h"
#include "execd/JsonHandler.h"


namespace execd {
namespace files {


class SearchHandler: public JsonHandler
	/// GET /files/search?path=&pattern=: the FileInfo of every file below path
	/// whose base name matches pattern (default "**"), within walkMaxEntries; see
	/// Searcher.
{
public:
	SearchHandler(const RouteMatch& match, const FilesSettings& settings);
		/// settings must outlive the handler.

protected:
	// execd::JsonHandler
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override;

private:
	const FilesSettings& _settings;
};


} } // namespace execd::files
