#include "execd/Http.h"
#include "execd/ReplayedRequest.h"
#include "execd/StreamEvent.h"
#include "Poco/JSON/Array.h"
#include "Poco/JSON/JSONException.h"
#include "Poco/JSON/Parser.h"
#include "Poco/Logger.h"
#include "Poco/Net/HTTPServerRequestImpl.h"
#include "Poco/Random.h"
#include "Poco/StreamCopier.h"
#include "Poco/String.h"
#include "Poco/URI.h"
#include <atomic>
#include <fcntl.h>
#include <istream>
#include <limits>
#include <sys/socket.h>
#include <unistd.h>


namespace execd {


namespace Http {


void sendEmpty(Poco::Net::HTTPServerResponse& response, int status)
{
	response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
	response.setContentLength(0);
	response.send();
}


void sendJson(Poco::Net::HTTPServerResponse& response, const std::string& json, int status)
{
	response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
	response.setContentType("application/json; charset=utf-8");
	// Headers and body leave in one write.
	response.sendBuffer(json.data(), json.size());
}


bool headerFlag(const Poco::Net::HTTPServerRequest& request, const std::string& name)
{
	const std::string value = Poco::trim(request.get(name, ""));
	return value == "1" || Poco::icompare(value, "true") == 0;
}


bool hasBody(const Poco::Net::HTTPServerRequest& request)
{
	if (request.getChunkedTransferEncoding()) return true;
	return request.hasContentLength() && request.getContentLength64() > 0;
}


void sendJson(Poco::Net::HTTPServerResponse& response, const Poco::Dynamic::Var& value, int status)
{
	sendJson(response, Json::stringify(value), status);
}


std::string errorJson(const std::string& code, const std::string& message)
{
	std::string out = "{\"code\":";
	Json::appendString(out, code);
	out += ",\"message\":";
	Json::appendString(out, message);
	out += '}';
	return out;
}


void sendError(Poco::Net::HTTPServerResponse& response, const ApiException& error)
{
	sendJson(response, errorJson(error.errorCode(), error.message()), error.status());
}


Poco::Net::StreamSocket& socketOf(Poco::Net::HTTPServerRequest& request)
{
	// Every request execd's server hands a handler is POCO's implementation,
	// or one that stands for it (an idempotent request's).
	if (auto pReplayed = dynamic_cast<ReplayedRequest*>(&request)) return socketOf(pReplayed->original());
	return static_cast<Poco::Net::HTTPServerRequestImpl&>(request).socket();
}


int descriptorOf(Poco::Net::HTTPServerRequest& request)
{
	return socketOf(request).impl()->sockfd();
}


void resetConnection(int socket)
{
	if (socket < 0) return;
	struct linger abortive{1, 0};
	::setsockopt(socket, SOL_SOCKET, SO_LINGER, &abortive, sizeof(abortive));
	int nul = ::open("/dev/null", O_RDWR | O_CLOEXEC);
	if (nul >= 0 && ::dup3(nul, socket, O_CLOEXEC) == socket)
	{
		::close(nul);
	}
	else
	{
		if (nul >= 0) ::close(nul);
		::shutdown(socket, SHUT_RDWR);
	}
}


ApiException translate(const std::exception& exc, const std::string& context)
{
	if (auto pApi = dynamic_cast<const ApiException*>(&exc))
		return *pApi;
	if (auto pJson = dynamic_cast<const Poco::JSON::JSONException*>(&exc))
		return ApiException::badRequest("invalid JSON: " + pJson->message());
	if (auto pSyntax = dynamic_cast<const Poco::SyntaxException*>(&exc))
		return ApiException::badRequest(pSyntax->displayText());
	if (auto pNotFound = dynamic_cast<const Poco::FileNotFoundException*>(&exc))
		return ApiException::notFound(ErrorCode::FILE_NOT_FOUND, "file not found. " + pNotFound->message());

	// Unexpected: the client gets a reference, the log gets the whole story.
	static std::atomic<unsigned> counter{0};
	static const unsigned base = Poco::Random().next();
	char reference[16];
	std::snprintf(reference, sizeof(reference), "%08x", base + counter.fetch_add(1));
	const Poco::Exception* pPoco = dynamic_cast<const Poco::Exception*>(&exc);
	std::string text = pPoco ? pPoco->displayText() : std::string(exc.what());
	Poco::Logger::get("execd.http").error("[%s] %s: %s", std::string(reference), context, text);
	return ApiException::runtimeError(std::string("internal error (reference ") + reference + "; details are in execd's log)");
}


} // namespace Http


QueryParams::QueryParams(const Poco::Net::HTTPServerRequest& request)
{
	try
	{
		Poco::URI uri(request.getURI());
		_params = uri.getQueryParameters();
	}
	catch (Poco::Exception& exc)
	{
		throw ApiException::badRequest("malformed query string: " + exc.message());
	}
}


std::optional<std::string> QueryParams::get(const std::string& name) const
{
	for (const auto& p: _params)
	{
		if (p.first == name) return p.second;
	}
	return std::nullopt;
}


std::string QueryParams::get(const std::string& name, const std::string& deflt) const
{
	auto value = get(name);
	return value ? *value : deflt;
}


std::vector<std::string> QueryParams::getAll(const std::string& name) const
{
	std::vector<std::string> values;
	for (const auto& p: _params)
	{
		if (p.first == name) values.push_back(p.second);
	}
	return values;
}


bool QueryParams::has(const std::string& name) const
{
	return get(name).has_value();
}


namespace {


std::atomic<std::size_t> jsonLimit{32 * 1024 * 1024};
std::atomic<long long> readTimeoutMillis{60000};


std::string typeName(const Poco::Dynamic::Var& value)
{
	if (value.type() == typeid(Poco::JSON::Object::Ptr)) return "object";
	if (value.type() == typeid(Poco::JSON::Array::Ptr)) return "array";
	if (value.isString()) return "string";
	if (value.isBoolean()) return "bool";
	if (value.isNumeric()) return "number";
	return "value";
}


} // namespace


std::size_t JsonBody::defaultLimit()
{
	return jsonLimit.load();
}


void JsonBody::setDefaultLimit(std::size_t bytes)
{
	jsonLimit.store(bytes);
}


void JsonBody::setReadTimeout(std::chrono::milliseconds timeout)
{
	readTimeoutMillis.store(timeout.count());
}


std::string JsonBody::readBody(Poco::Net::HTTPServerRequest& request, std::size_t limit)
{
	if (request.hasContentLength() && request.getContentLength64() > static_cast<Poco::Int64>(limit))
	{
		throw ApiException(413, ErrorCode::PAYLOAD_TOO_LARGE,
			"request body of " + std::to_string(request.getContentLength64()) + " bytes exceeds the limit of " + std::to_string(limit) + " bytes");
	}
	std::string body;
	if (!Http::hasBody(request)) return body;
	std::istream& in = request.stream();
	char buffer[8192];
	// Each read is bounded by the socket timeout; this bounds them all, so a
	// body trickled in a byte at a time cannot hold a thread for ever.
	auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(readTimeoutMillis.load());
	while (in)
	{
		in.read(buffer, sizeof(buffer));
		std::streamsize n = in.gcount();
		if (n <= 0) break;
		if (std::chrono::steady_clock::now() > deadline)
			throw ApiException(408, ErrorCode::INVALID_REQUEST_BODY, "request body not received in time");
		if (body.size() + static_cast<std::size_t>(n) > limit)
		{
			throw ApiException(413, ErrorCode::PAYLOAD_TOO_LARGE,
				"request body exceeds the limit of " + std::to_string(limit) + " bytes");
		}
		body.append(buffer, static_cast<std::size_t>(n));
	}
	// A read that failed (rather than reaching the end) timed out or lost the
	// connection: the body did not arrive, whatever part of it parses.
	if (in.bad())
	{
		if (std::chrono::steady_clock::now() + std::chrono::milliseconds(100) >= deadline)
			throw ApiException(408, ErrorCode::INVALID_REQUEST_BODY, "request body not received in time");
		throw ApiException::badRequest("request body could not be read: the connection failed");
	}
	return body;
}


JsonBody JsonBody::parse(const std::string& text, const std::string& errorPrefix)
{
	if (text.find_first_not_of(" \t\r\n") == std::string::npos)
		throw ApiException::badRequest(errorPrefix + "EOF");
	if (Poco::trim(text) == "null")
	{
		// "null" decodes to the zero value in Go: an empty request.
		return JsonBody(new Poco::JSON::Object, errorPrefix);
	}
	Poco::Dynamic::Var result;
	try
	{
		Poco::JSON::Parser parser;
		parser.setDepth(MAX_DEPTH);
		result = parser.parse(text);
	}
	catch (Poco::Exception& exc)
	{
		throw ApiException::badRequest(errorPrefix + "invalid JSON: " + exc.message());
	}
	if (result.type() != typeid(Poco::JSON::Object::Ptr))
		throw ApiException::badRequest(errorPrefix + "json: cannot unmarshal " + typeName(result) + " into an object");
	return JsonBody(result.extract<Poco::JSON::Object::Ptr>(), errorPrefix);
}


JsonBody JsonBody::read(Poco::Net::HTTPServerRequest& request, const std::string& errorPrefix)
{
	return parse(readBody(request), errorPrefix);
}


JsonBody::JsonBody(Poco::JSON::Object::Ptr pObject, std::string errorPrefix):
	_pObject(pObject ? pObject : Poco::JSON::Object::Ptr(new Poco::JSON::Object)),
	_errorPrefix(std::move(errorPrefix))
{
}


Poco::Dynamic::Var JsonBody::value(const std::string& key) const
{
	if (_pObject->has(key))
		return _pObject->get(key);
	std::vector<std::string> names;
	_pObject->getNames(names);
	for (const std::string& name: names)
	{
		if (Poco::icompare(name, key) == 0)
			return _pObject->get(name);
	}
	return Poco::Dynamic::Var();
}


void JsonBody::typeError(const std::string& key, const std::string& want, const Poco::Dynamic::Var& got) const
{
	throw ApiException::badRequest(_errorPrefix + "json: cannot unmarshal " + typeName(got) + " into field \"" + key + "\" of type " + want);
}


bool JsonBody::has(const std::string& key) const
{
	return !value(key).isEmpty();
}


std::optional<std::string> JsonBody::getString(const std::string& key) const
{
	Poco::Dynamic::Var v = value(key);
	if (v.isEmpty()) return std::nullopt;
	if (!v.isString()) typeError(key, "string", v);
	return v.extract<std::string>();
}


std::optional<Poco::Int64> JsonBody::getInt(const std::string& key, Poco::Int64 min, Poco::Int64 max) const
{
	Poco::Dynamic::Var v = value(key);
	if (v.isEmpty()) return std::nullopt;
	if (!v.isInteger() || v.isBoolean()) typeError(key, "integer", v);
	Poco::Int64 n = 0;
	try
	{
		if (!v.isSigned() && v.convert<Poco::UInt64>() > static_cast<Poco::UInt64>(std::numeric_limits<Poco::Int64>::max()))
			typeError(key, "integer in range", v);
		n = v.convert<Poco::Int64>();
	}
	catch (Poco::RangeException&)
	{
		typeError(key, "integer in range", v);
	}
	if (n < min || n > max)
	{
		throw ApiException::badRequest(_errorPrefix + "json: value " + std::to_string(n) + " of field \"" + key
			+ "\" is out of range [" + std::to_string(min) + ", " + std::to_string(max) + "]");
	}
	return n;
}


std::optional<bool> JsonBody::getBool(const std::string& key) const
{
	Poco::Dynamic::Var v = value(key);
	if (v.isEmpty()) return std::nullopt;
	if (!v.isBoolean()) typeError(key, "bool", v);
	return v.extract<bool>();
}


std::optional<JsonBody> JsonBody::getObject(const std::string& key) const
{
	Poco::Dynamic::Var v = value(key);
	if (v.isEmpty()) return std::nullopt;
	if (v.type() != typeid(Poco::JSON::Object::Ptr)) typeError(key, "object", v);
	return JsonBody(v.extract<Poco::JSON::Object::Ptr>(), _errorPrefix);
}


std::optional<std::vector<std::string>> JsonBody::getStringArray(const std::string& key) const
{
	Poco::Dynamic::Var v = value(key);
	if (v.isEmpty()) return std::nullopt;
	if (v.type() != typeid(Poco::JSON::Array::Ptr)) typeError(key, "[]string", v);
	std::vector<std::string> out;
	for (const Poco::Dynamic::Var& element: *v.extract<Poco::JSON::Array::Ptr>())
	{
		if (element.isEmpty())
			out.emplace_back();
		else if (element.isString())
			out.push_back(element.extract<std::string>());
		else
			typeError(key, "string", element);
	}
	return out;
}


std::optional<std::vector<JsonBody>> JsonBody::getObjectArray(const std::string& key) const
{
	Poco::Dynamic::Var v = value(key);
	if (v.isEmpty()) return std::nullopt;
	if (v.type() != typeid(Poco::JSON::Array::Ptr)) typeError(key, "[]object", v);
	std::vector<JsonBody> out;
	for (const Poco::Dynamic::Var& element: *v.extract<Poco::JSON::Array::Ptr>())
	{
		if (element.isEmpty())
			out.emplace_back(Poco::JSON::Object::Ptr(new Poco::JSON::Object), _errorPrefix);
		else if (element.type() == typeid(Poco::JSON::Object::Ptr))
			out.emplace_back(element.extract<Poco::JSON::Object::Ptr>(), _errorPrefix);
		else
			typeError(key, "object", element);
	}
	return out;
}


std::optional<std::map<std::string, std::string>> JsonBody::getStringMap(const std::string& key) const
{
	auto object = getObject(key);
	if (!object) return std::nullopt;
	std::map<std::string, std::string> result;
	std::vector<std::string> names;
	object->object()->getNames(names);
	for (const std::string& name: names)
	{
		Poco::Dynamic::Var v = object->object()->get(name);
		if (!v.isString()) typeError(key + "." + name, "string", v);
		result[name] = v.extract<std::string>();
	}
	return result;
}


Poco::JSON::Object::Ptr JsonBody::object() const
{
	return _pObject;
}


} // namespace execd
