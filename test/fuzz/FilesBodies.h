#pragma once

#include "Poco/Net/HTTPServerRequest.h"
#include <string>


namespace execd {
namespace files {
namespace fuzz {


// The files module's JSON bodies, decoded as its handlers decode them (with
// RequestBody and Upload) up to their first system call, so that the fuzz
// targets touch no file system.


void decodePermissionEntries(Poco::Net::HTTPServerRequest& request);
	/// The {"<path>": {"owner","group","mode"}} body of POST /files/permissions
	/// and POST /directories, then octalMode() of every mode.

void decodeMoves(Poco::Net::HTTPServerRequest& request);
	/// The [{"src","dest"}] body of POST /files/mv, decoded as MoveHandler does.

void decodeReplacements(Poco::Net::HTTPServerRequest& request);
	/// The {"<path>": {"old","new"}} body of POST /files/replace, decoded as ReplaceHandler does.

void decodeUploadMetadata(const std::string& text);
	/// The metadata part of POST /files/upload ({"path","owner","group","mode"}).


} } } // namespace execd::files::fuzz
