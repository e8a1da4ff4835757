#include "FileHandlers.h"
#include "FileSystem.h"
#include "RequestBody.h"
#include "execd/Http.h"
#include "execd/StreamEvent.h"
#include "Poco/JSON/Array.h"
#include <cerrno>
#include <cstdio>
#include <map>
#include <sys/stat.h>
#include <unistd.h>


namespace execd {
namespace files {


void InfoHandler::handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
	QueryParams query(request);
	std::map<std::string, std::string> entries;   // raw -> JSON, sorted like Go's map encoding
	std::string tag;
	for (const std::string& raw: query.getAll("path"))
	{
		if (entries.count(raw)) continue;
		checkPath(raw);
		std::string path = Paths::absolute(raw);
		struct stat st;
		if (::lstat(path.c_str(), &st) != 0) throwFileError(errno, "lstat", path);
		std::string json;
		FileInfoWriter::append(json, path, st);
		entries.emplace(raw, std::move(json));
		tag = FileInfoWriter::etag(st);
	}
	if (entries.size() == 1) response.set("ETag", tag);
	Http::sendJson(response, jsonObject(entries));
}


void DeleteFilesHandler::handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
	QueryParams query(request);
	for (const std::string& raw: query.getAll("path"))
	{
		checkPath(raw);
		std::string path = Paths::absolute(raw);
		struct stat st;
		if (::stat(path.c_str(), &st) != 0)
		{
			if (errno == ENOENT) continue;
			throw ApiException::runtimeError("error removing file " + path + ". " + errorText(errno, "stat", path));
		}
		if (S_ISDIR(st.st_mode))
			throw ApiException::runtimeError("error removing file " + path + ". path is a directory: " + path);
		if (::unlink(path.c_str()) != 0 && errno != ENOENT)
			throw ApiException::runtimeError("error removing file " + path + ". " + errorText(errno, "remove", path));
	}
	Http::sendEmpty(response);
}


void PermissionsHandler::handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
	for (const auto& e: RequestBody::permissions(request))
	{
		std::string path = Paths::absolute(e.first);
		try
		{
			applyPermission(path, e.second);
		}
		catch (Poco::FileException& exc)
		{
			// Upstream names the path as the client sent it.
			throw ApiException::runtimeError("error changing permissions for " + e.first + ". " + exc.message());
		}
	}
	Http::sendEmpty(response);
}


void MoveHandler::handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
	for (const auto& m: moves(request)) move(m.first, m.second);
	Http::sendEmpty(response);
}


std::vector<std::pair<std::string, std::string>> MoveHandler::moves(Poco::Net::HTTPServerRequest& request)
	// The (src, dest) pairs of the body, all decoded before any is moved; a null
	// item is a pair of empty paths, a null body no pair at all.
{
	std::vector<std::pair<std::string, std::string>> moves;
	Poco::Dynamic::Var value = RequestBody::parse(request);
	if (value.isEmpty()) return moves;
	if (value.type() != typeid(Poco::JSON::Array::Ptr))
		throw ApiException::badRequest(RequestBody::PARSE_PREFIX + "json: cannot unmarshal object into Go value of type []RenameFileItem");
	auto items = value.extract<Poco::JSON::Array::Ptr>();
	for (std::size_t i = 0; i < items->size(); ++i)
	{
		Poco::Dynamic::Var item = items->get(static_cast<unsigned>(i));
		if (item.isEmpty())
		{
			moves.emplace_back("", "");
			continue;
		}
		if (item.type() != typeid(Poco::JSON::Object::Ptr))
			throw ApiException::badRequest(RequestBody::PARSE_PREFIX + "json: cannot unmarshal value into Go value of type RenameFileItem");
		JsonBody entry(item.extract<Poco::JSON::Object::Ptr>(), RequestBody::PARSE_PREFIX);
		moves.emplace_back(entry.getString("src").value_or(""), entry.getString("dest").value_or(""));
	}
	return moves;
}


void MoveHandler::move(const std::string& rawSource, const std::string& rawDestination)
{
	checkPath(rawSource);
	checkPath(rawDestination);
	std::string src = Paths::absolute(rawSource);
	std::string dest = Paths::absolute(rawDestination);
	struct stat st;
	if (::stat(src.c_str(), &st) != 0) throwFileError(errno, "stat", src);
	makeDirectories(Paths::dirName(dest), 0755);
	if (::lstat(dest.c_str(), &st) == 0)
		throw ApiException::runtimeError("destination path already exists: " + dest);
	if (::rename(src.c_str(), dest.c_str()) != 0)
		throwFileError(errno, "rename", src + " " + dest);
}


} } // namespace execd::files
