#include "DirectoryHandlers.h"
#include "FileSystem.h"
#include "RequestBody.h"
#include "TreeWalks.h"
#include "execd/Http.h"
#include <cerrno>
#include <cstdlib>
#include <sys/stat.h>


namespace execd {
namespace files {


ListHandler::ListHandler(const RouteMatch& match, const FilesSettings& settings):
	JsonHandler(match),
	_settings(settings)
{
}


void ListHandler::handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
	QueryParams query(request);
	std::string raw = query.get("path", "");
	if (raw.empty()) throw ApiException::missingQuery("path");
	std::string depthText = query.get("depth", "");
	long depth = 1;
	if (!depthText.empty())
	{
		char* end = nullptr;
		errno = 0;
		depth = std::strtol(depthText.c_str(), &end, 10);
		if (errno != 0 || *end != '\0' || depth < 0)
			throw ApiException::badRequest("invalid query parameter 'depth': " + depthText);
	}
	checkPath(raw);
	std::string root = Paths::absolute(raw);
	struct stat st;
	if (::lstat(root.c_str(), &st) != 0) throwFileError(errno, "lstat", root);
	if (S_ISLNK(st.st_mode)) throw ApiException::badRequest("path is a symbolic link, refusing to traverse: " + root);
	if (!S_ISDIR(st.st_mode)) throw ApiException::badRequest("path is not a directory: " + root);
	std::string out = "[";
	WalkBudget budget(request, _settings.walkMaxEntries, "list");
	if (depth > 0) listTree(root, depth, budget, out);
	out += ']';
	Http::sendJson(response, out);
}


void MakeDirectoriesHandler::handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
	for (const auto& e: RequestBody::permissions(request))
	{
		try
		{
			makeDirectory(Paths::absolute(e.first), e.second);
		}
		catch (Poco::FileException& exc)
		{
			throwFileError(exc);
		}
	}
	Http::sendEmpty(response);
}


void RemoveDirectoriesHandler::handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
	QueryParams query(request);
	for (const std::string& raw: query.getAll("path"))
	{
		checkPath(raw);
		std::string path;
		try
		{
			path = Paths::expand(raw);
		}
		catch (ApiException& exc)
		{
			throw ApiException::runtimeError("error resolving directory " + raw + ". " + exc.message());
		}
		if (path.empty()) continue;
		Paths::checkLimits(path);
		if (path == "." || (path.size() >= 2 && path.compare(path.size() - 2, 2, "/.") == 0))
			throw ApiException::runtimeError("error removing directory " + path + ". " + errorText(EINVAL, "unlinkat", path));
		int error = removeTree(path);
		if (error != 0)
			throw ApiException::runtimeError("error removing directory " + path + ". " + errorText(error, "unlinkat", path));
	}
	Http::sendEmpty(response);
}


} } // namespace execd::files
