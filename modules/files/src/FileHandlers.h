#pragma once

#include "FilesSettings.h"
#include "execd/Route.h"
#include <memory>
#include <vector>


namespace execd {
namespace files {


std::vector<Route> fileRoutes(const FilesSettings& settings);
	/// Every /files and /directories route; settings must outlive the routes.

std::unique_ptr<Poco::Net::HTTPRequestHandler> makeUploadHandler(const RouteMatch& match);
	/// POST /files/upload (UploadHandler.cpp).

std::unique_ptr<Poco::Net::HTTPRequestHandler> makeDownloadHandler(const RouteMatch& match);
	/// GET /files/download (DownloadHandler.cpp).


} } // namespace execd::files
