#include "SearchHandler.h"
#include "FileSystem.h"
#include "Searcher.h"
#include "execd/Http.h"
#include <cerrno>
#include <sys/stat.h>


namespace execd {
namespace files {


SearchHandler::SearchHandler(const RouteMatch& match, const FilesSettings& settings):
	JsonHandler(match),
	_settings(settings)
{
}


void SearchHandler::handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
	QueryParams query(request);
	std::string raw = requiredPath(query);
	std::string root = Paths::absolute(raw);
	// A missing root is a 404 before a bad pattern is a 400.
	struct stat st;
	if (::stat(root.c_str(), &st) != 0) throwFileError(errno, "stat", root);
	WalkBudget budget(request, _settings.walkMaxEntries, "search");
	Searcher searcher(query.get("pattern", ""), budget);
	Http::sendJson(response, searcher.search(root));
}


} } // namespace execd::files
