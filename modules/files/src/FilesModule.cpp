#include "FilesModule.h"
#include "DirectoryHandlers.h"
#include "DownloadHandler.h"
#include "FileHandlers.h"
#include "ReplaceHandler.h"
#include "ResumableUpload.h"
#include "SearchHandler.h"
#include "UploadHandler.h"
#include "WatchHandler.h"
#include "Glob.h"
#include "Transfer.h"
#include "execd/Capabilities.h"
#include "execd/ModuleContext.h"
#include "Poco/ClassLibrary.h"
#include <memory>
#include <type_traits>


namespace execd {
namespace files {


std::string FilesModule::name() const
{
	return "files";
}


void FilesModule::configure(ModuleContext& context)
{
	_settings = FilesSettings::from(context.settings());
	Capabilities& c = Capabilities::instance();
	c.setLimit("module.files.walkMaxEntries", static_cast<Poco::UInt64>(_settings.walkMaxEntries));
	c.setLimit("module.files.replaceMaxBytes", static_cast<Poco::UInt64>(_settings.replaceMaxBytes));
	c.setLimit("module.files.watchMaxDirectories", static_cast<Poco::UInt64>(_settings.watchMaxDirectories));
	c.setLimit("files.watchCoalesceMillis", static_cast<Poco::UInt64>(WatchHandler::COALESCE.count()));
	c.setFeature("file_watch", true);
	DownloadHandler::setGzip(_settings.gzipDownloads);
	c.setFeature("gzip_downloads", _settings.gzipDownloads);
	c.setFeature("gzip_uploads", true);
	c.setLimit("files.searchPatternMaxBytes", static_cast<Poco::UInt64>(Glob::MAX_PATTERN_BYTES));
	c.setLimit("files.searchPatternMaxNesting", static_cast<Poco::UInt64>(Glob::MAX_NESTING));
	c.setLimit("files.lineWindowReadBytes", static_cast<Poco::UInt64>(Transfer::READ_BYTES));
	c.setLimit("files.uploadMetadataMaxBytes", static_cast<Poco::UInt64>(UploadHandler::METADATA_MAX_BYTES));
	c.setLimit("files.resumableUploads", static_cast<Poco::UInt64>(UploadSessions::MAX_SESSIONS));
	c.setLimit("files.resumableUploadIdleMillis", static_cast<Poco::Int64>(std::chrono::milliseconds(UploadSessions::IDLE).count()));
	c.setLimit("files.resumableUploadMaxBytes", static_cast<Poco::UInt64>(UploadSessions::MAX_SIZE));
	c.setFeature("resumable_uploads", true);
}


std::vector<Route> FilesModule::routes()
{
	auto make = [](auto tag) {
		using Handler = typename decltype(tag)::type;
		return [](const RouteMatch& m) { return std::unique_ptr<Poco::Net::HTTPRequestHandler>(new Handler(m)); };
	};
	auto configured = [this](auto tag) {
		using Handler = typename decltype(tag)::type;
		const FilesSettings* pSettings = &_settings;
		return [pSettings](const RouteMatch& m) { return std::unique_ptr<Poco::Net::HTTPRequestHandler>(new Handler(m, *pSettings)); };
	};
	std::vector<Route> routes = {
		{"GET", "/files/info", make(std::common_type<InfoHandler>())},
		{"DELETE", "/files", make(std::common_type<DeleteFilesHandler>())},
		{"POST", "/files/permissions", make(std::common_type<PermissionsHandler>())},
		{"POST", "/files/mv", make(std::common_type<MoveHandler>())},
		{"GET", "/files/search", configured(std::common_type<SearchHandler>())},
		{"POST", "/files/replace", configured(std::common_type<ReplaceHandler>())},
		{"POST", "/files/upload", make(std::common_type<UploadHandler>())},
		{"GET", "/files/download", make(std::common_type<DownloadHandler>())},
		{"GET", "/files/watch", configured(std::common_type<WatchHandler>())},
		{"GET", "/directories/list", configured(std::common_type<ListHandler>())},
		{"POST", "/directories", make(std::common_type<MakeDirectoriesHandler>())},
		{"DELETE", "/directories", make(std::common_type<RemoveDirectoriesHandler>())},
	};
	for (Route& route: resumableUploadRoutes()) routes.push_back(std::move(route));
	return routes;
}


} } // namespace execd::files


POCO_BEGIN_MANIFEST(execd::Module)
	POCO_EXPORT_CLASS(execd::files::FilesModule)
POCO_END_MANIFEST
