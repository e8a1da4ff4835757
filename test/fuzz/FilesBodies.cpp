// The body decoders of FileHandlers.cpp are in its anonymous namespace: compiling
// the file here makes them callable from this translation unit.

#include "FileHandlers.cpp"
#include "FilesBodies.h"


namespace execd {
namespace files {
namespace fuzz {


void decodePermissionEntries(Poco::Net::HTTPServerRequest& request)
{
	for (const auto& entry: permissionEntries(request))
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
	Poco::Dynamic::Var value = parseBody(request);
	if (value.isEmpty()) return;
	if (value.type() != typeid(Poco::JSON::Array::Ptr))
		throw ApiException::badRequest(PARSE_PREFIX + "json: cannot unmarshal object into Go value of type []RenameFileItem");
	auto items = value.extract<Poco::JSON::Array::Ptr>();
	for (std::size_t i = 0; i < items->size(); ++i)
	{
		Poco::Dynamic::Var item = items->get(static_cast<unsigned>(i));
		if (item.isEmpty()) continue;
		if (item.type() != typeid(Poco::JSON::Object::Ptr))
			throw ApiException::badRequest(PARSE_PREFIX + "json: cannot unmarshal value into Go value of type RenameFileItem");
		JsonBody entry(item.extract<Poco::JSON::Object::Ptr>(), PARSE_PREFIX);
		checkPath(entry.getString("src").value_or(""));
		checkPath(entry.getString("dest").value_or(""));
	}
}


void decodeReplacements(Poco::Net::HTTPServerRequest& request)
{
	// ReplaceHandler::handle() up to its first system call.
	auto body = bodyObject(request);
	for (const std::string& raw: sortedKeys(body))
	{
		JsonBody entry = entryObject(body, raw);
		entry.getString("old");
		entry.getString("new");
		checkPath(raw);
	}
}


} } } // namespace execd::files::fuzz
