#pragma once

#include "execd/JsonHandler.h"
#include <string>
#include <utility>
#include <vector>


namespace execd {
namespace files {


// The small handlers of /files: each checks its paths, makes a few system calls
// and answers with JSON or an empty 200. Paths are the client's, expanded with
// Paths::absolute(); errors are upstream's "fileErr" texts (see throwFileError()).


class InfoHandler: public JsonHandler
	/// GET /files/info?path=...&path=...: {"<path>": FileInfo} of each, links not
	/// followed, keys sorted; an ETag header when one path was asked for.
{
public:
	using JsonHandler::JsonHandler;

protected:
	// execd::JsonHandler
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override;
};


class DeleteFilesHandler: public JsonHandler
	/// DELETE /files?path=...: unlinks each; a missing file is no error, a
	/// directory is (500).
{
public:
	using JsonHandler::JsonHandler;

protected:
	// execd::JsonHandler
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override;
};


class PermissionsHandler: public JsonHandler
	/// POST /files/permissions {"<path>": Permission}: all entries are checked
	/// before any is applied (applyPermission()).
{
public:
	using JsonHandler::JsonHandler;

protected:
	// execd::JsonHandler
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override;
};


class MoveHandler: public JsonHandler
	/// POST /files/mv [{"src","dest"}, ...]: renames each in turn, creating the
	/// destination's directories; an existing destination is an error (500).
{
public:
	using JsonHandler::JsonHandler;

	static std::vector<std::pair<std::string, std::string>> moves(Poco::Net::HTTPServerRequest& request);
		/// The (src, dest) pairs of the body, all decoded before any is moved (400
		/// INVALID_REQUEST_BODY in Go's words). Also the isolated sessions' mv.

protected:
	// execd::JsonHandler
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override;

private:
	static void move(const std::string& rawSource, const std::string& rawDestination);
};


} } // namespace execd::files
