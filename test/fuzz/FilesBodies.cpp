#include "FilesBodies.h"
#include "FileSystem.h"
#include "RequestBody.h"
#include "execd/ApiException.h"
#include "Poco/JSON/Array.h"


namespace execd {
namespace files {
namespace fuzz {


void decodePermissionEntries(Poco::Net::HTTPServerRequest& request)
{
	for (const auto& entry: RequestBody::permissions(request))
	{
		try
		{
			octalMode(entry.second.mode);
		}
		catch (Poco::FileException&)
		{
		}
	}
}


void decodeMoves(Poco::Net::HTTPServerRequest& request)
{
	// MoveHandler::handle() up to its first system call.
	Poco::Dynamic::Var value = RequestBody::parse(request);
	if (value.isEmpty()) return;
	if (value.type() != typeid(Poco::JSON::Array::Ptr))
		throw ApiException::badRequest(RequestBody::PARSE_PREFIX + "json: cannot unmarshal object into Go value of type []RenameFileItem");
	auto items = value.extract<Poco::JSON::Array::Ptr>();
	for (std::size_t i = 0; i < items->size(); ++i)
	{
		Poco::Dynamic::Var item = items->get(static_cast<unsigned>(i));
		if (item.isEmpty()) continue;
		if (item.type() != typeid(Poco::JSON::Object::Ptr))
			throw ApiException::badRequest(RequestBody::PARSE_PREFIX + "json: cannot unmarshal value into Go value of type RenameFileItem");
		JsonBody entry(item.extract<Poco::JSON::Object::Ptr>(), RequestBody::PARSE_PREFIX);
		checkPath(entry.getString("src").value_or(""));
		checkPath(entry.getString("dest").value_or(""));
	}
}


void decodeReplacements(Poco::Net::HTTPServerRequest& request)
{
	// ReplaceHandler::handle() up to its first system call.
	auto body = RequestBody::object(request);
	for (const std::string& raw: RequestBody::sortedKeys(body))
	{
		JsonBody entry = RequestBody::entry(body, raw);
		entry.getString("old");
		entry.getString("new");
		checkPath(raw);
	}
}


} } } // namespace execd::files::fuzz
