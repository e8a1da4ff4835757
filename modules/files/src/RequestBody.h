#pragma once

#include "FileSystem.h"
#include "Poco/Dynamic/Var.h"
#include "Poco/JSON/Object.h"
#include "Poco/Net/HTTPServerRequest.h"
#include <string>
#include <utility>
#include <vector>


namespace execd {
namespace files {


class RequestBody
	/// The JSON bodies of the /files and /directories routes, read with Go's
	/// encoding/json semantics and error texts, which clients match on. Every
	/// error is ApiException 400 INVALID_REQUEST_BODY, PARSE_PREFIX first.
{
public:
	static const std::string PARSE_PREFIX;
		/// "error parsing request, MAYBE invalid body format. "

	static Poco::Dynamic::Var parse(Poco::Net::HTTPServerRequest& request);
		/// The request body as JSON (only the first value counts); empty for "null".

	static Poco::JSON::Object::Ptr object(Poco::Net::HTTPServerRequest& request);
		/// A JSON object body; null is an empty object.

	static std::vector<std::string> sortedKeys(const Poco::JSON::Object::Ptr& pObject);
		/// The names in pObject, sorted bytewise (the order of Go's map encoding).

	static JsonBody entry(const Poco::JSON::Object::Ptr& pObject, const std::string& key);
		/// pObject[key] as a JsonBody; null is an empty object, anything else a 400.

	static std::vector<std::pair<std::string, Permission>> permissions(Poco::Net::HTTPServerRequest& request);
		/// The {"<path>": Permission} body of permissions and mkdir, in key order, all
		/// decoded and checked (checkPath()) before any is applied.
};


} } // namespace execd::files
