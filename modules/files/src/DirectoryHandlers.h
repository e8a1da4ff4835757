#pragma once

#include "FilesSettings.h"
#include "execd/JsonHandler.h"


namespace execd {
namespace files {


// The handlers of /directories.


class ListHandler: public JsonHandler
	/// GET /directories/list?path=&depth=: the FileInfo of every entry down to
	/// depth levels (default 1, 0 lists nothing) below a real directory, within
	/// walkMaxEntries (see listTree()).
{
public:
	ListHandler(const RouteMatch& match, const FilesSettings& settings);
		/// settings must outlive the handler.

protected:
	// execd::JsonHandler
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override;

private:
	const FilesSettings& _settings;
};


class MakeDirectoriesHandler: public JsonHandler
	/// POST /directories {"<path>": Permission}: an existing directory is left as
	/// it is; new ones get the owner and group, the leaf the mode.
{
public:
	using JsonHandler::JsonHandler;

protected:
	// execd::JsonHandler
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override;
};


class RemoveDirectoriesHandler: public JsonHandler
	/// DELETE /directories?path=...: rm -rf of each (see removeTree()); a missing
	/// path is no error.
{
public:
	using JsonHandler::JsonHandler;

protected:
	// execd::JsonHandler
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override;
};


} } // namespace execd::files
