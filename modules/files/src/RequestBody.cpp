#include "RequestBody.h"
#include "execd/ApiException.h"
#include "Poco/JSON/Array.h"
#include "Poco/JSON/Parser.h"
#include <algorithm>


namespace execd {
namespace files {


const std::string RequestBody::PARSE_PREFIX = "error parsing request, MAYBE invalid body format. ";


Poco::Dynamic::Var RequestBody::parse(Poco::Net::HTTPServerRequest& request)
{
	// Go semantics: only the first value counts, and null is the zero value.
	std::string text = JsonBody::readBody(request);
	std::size_t start = text.find_first_not_of(" \t\r\n");
	if (start == std::string::npos) throw ApiException::badRequest(PARSE_PREFIX + "EOF");
	std::size_t end = text.find_last_not_of(" \t\r\n");
	if (text.compare(start, end + 1 - start, "null") == 0) return Poco::Dynamic::Var();
	try
	{
		Poco::JSON::Parser parser;
		return parser.parse(text);
	}
	catch (Poco::Exception& exc)
	{
		throw ApiException::badRequest(PARSE_PREFIX + exc.message());
	}
}


Poco::JSON::Object::Ptr RequestBody::object(Poco::Net::HTTPServerRequest& request)
{
	Poco::Dynamic::Var value = parse(request);
	if (value.isEmpty()) return new Poco::JSON::Object;
	if (value.type() != typeid(Poco::JSON::Object::Ptr))
		throw ApiException::badRequest(PARSE_PREFIX + "json: cannot unmarshal " + (value.type() == typeid(Poco::JSON::Array::Ptr) ? "array" : "value") + " into Go value of type map");
	return value.extract<Poco::JSON::Object::Ptr>();
}


std::vector<std::string> RequestBody::sortedKeys(const Poco::JSON::Object::Ptr& pObject)
{
	std::vector<std::string> names;
	pObject->getNames(names);
	std::sort(names.begin(), names.end());
	return names;
}


JsonBody RequestBody::entry(const Poco::JSON::Object::Ptr& pObject, const std::string& key)
{
	Poco::Dynamic::Var value = pObject->get(key);
	if (value.isEmpty()) return JsonBody(new Poco::JSON::Object, PARSE_PREFIX);
	if (value.type() != typeid(Poco::JSON::Object::Ptr))
		throw ApiException::badRequest(PARSE_PREFIX + "json: cannot unmarshal value of \"" + key + "\" into an object");
	return JsonBody(value.extract<Poco::JSON::Object::Ptr>(), PARSE_PREFIX);
}


std::vector<std::pair<std::string, Permission>> RequestBody::permissions(Poco::Net::HTTPServerRequest& request)
{
	auto body = object(request);
	std::vector<std::pair<std::string, Permission>> entries;
	for (const std::string& raw: sortedKeys(body))
	{
		checkPath(raw);
		entries.emplace_back(raw, Permission::from(entry(body, raw)));
	}
	return entries;
}


} } // namespace execd::files
