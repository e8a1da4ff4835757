#pragma once

#include "execd/ApiException.h"
#include "Poco/Dynamic/Var.h"
#include "Poco/JSON/Object.h"
#include "Poco/Net/HTTPServerRequest.h"
#include "Poco/Net/HTTPServerResponse.h"
#include "Poco/Net/StreamSocket.h"
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>


namespace execd {


namespace Http
	/// Response helpers every handler uses, so that all of execd answers alike.
{
	EXECD_API void sendEmpty(Poco::Net::HTTPServerResponse& response, int status = 200);
		/// Status, "Content-Length: 0", no Content-Type, no body.

	EXECD_API void sendJson(Poco::Net::HTTPServerResponse& response, const std::string& json, int status = 200);
		/// A compact JSON body with "application/json; charset=utf-8".

	EXECD_API void sendJson(Poco::Net::HTTPServerResponse& response, const Poco::Dynamic::Var& value, int status = 200);

	EXECD_API void sendError(Poco::Net::HTTPServerResponse& response, const ApiException& error);
		/// {"code","message"} with the error's status.

	EXECD_API std::string errorJson(const std::string& code, const std::string& message);
		/// {"code":"...","message":"..."}

	EXECD_API bool headerFlag(const Poco::Net::HTTPServerRequest& request, const std::string& name);
		/// True when the header field is "1" or "true" (any case, spaces around).

	EXECD_API bool hasBody(const Poco::Net::HTTPServerRequest& request);
		/// True when the request declares a body: chunked, or a non-zero
		/// Content-Length. A request with neither has an empty body (RFC 9112),
		/// whatever its method; read its stream only when this is true.

	EXECD_API Poco::Net::StreamSocket& socketOf(Poco::Net::HTTPServerRequest& request);
		/// The connection a request came on (for a handler that streams a file
		/// with sendfile, relays a tunnel, or watches for the client leaving).
		/// Valid for as long as the request is.

	EXECD_API int descriptorOf(Poco::Net::HTTPServerRequest& request);
		/// socketOf(request)'s file descriptor.

	EXECD_API void resetConnection(int socket);
		/// Drops a connection at once, for a client that is gone or reads nothing:
		/// closed with a zero linger, which resets it and discards what is queued (a
		/// shutdown would queue the FIN behind bytes such a client never takes).
		/// /dev/null takes its place under the descriptor, which stays valid, every
		/// later operation on it failing, until its owner closes it. -1 is ignored.

	EXECD_API ApiException translate(const std::exception& exc, const std::string& context);
		/// Maps any exception to what the client sees: ApiException as is;
		/// JSON and syntax errors 400; Poco::FileNotFoundException 404; anything
		/// else 500 RUNTIME_ERROR with a reference id, the full text being logged
		/// under that id (context names the request for the log).
}


class EXECD_API QueryParams
	/// The decoded query parameters of a request ('+' is a space, as in Go).
{
public:
	explicit QueryParams(const Poco::Net::HTTPServerRequest& request);
		/// Throws ApiException 400 for a malformed query string.

	std::optional<std::string> get(const std::string& name) const;
		/// The first value of name, or nothing when absent.

	std::string get(const std::string& name, const std::string& deflt) const;

	std::vector<std::string> getAll(const std::string& name) const;

	bool has(const std::string& name) const;

private:
	std::vector<std::pair<std::string, std::string>> _params;
};


class EXECD_API JsonBody
	/// A JSON request body read with Go's encoding/json semantics: unknown keys are
	/// ignored, keys match case-insensitively (an exact match wins), null counts as
	/// absent, and a value of the wrong type is a 400 INVALID_REQUEST_BODY.
{
public:
	static constexpr int MAX_DEPTH = 64;   ///< nesting of arrays and objects; deeper is a 400
	static std::string readBody(Poco::Net::HTTPServerRequest& request, std::size_t limit = defaultLimit());
		/// The raw body. Throws ApiException 413 when it is larger than limit.

	static JsonBody parse(const std::string& text, const std::string& errorPrefix);
		/// Parses an object. Empty input -> 400 "<errorPrefix>EOF"; malformed JSON or
		/// a non-object -> 400 "<errorPrefix><cause>".

	static JsonBody read(Poco::Net::HTTPServerRequest& request, const std::string& errorPrefix);
		/// readBody() then parse().

	static std::size_t defaultLimit();
	static void setDefaultLimit(std::size_t bytes);
	static void setReadTimeout(std::chrono::milliseconds timeout);
		/// readBody() fails with 408 when the whole body has not arrived in time.

	explicit JsonBody(Poco::JSON::Object::Ptr pObject, std::string errorPrefix = "");

	bool has(const std::string& key) const;
		/// Present and not null.

	std::optional<std::string> getString(const std::string& key) const;
	std::optional<Poco::Int64> getInt(const std::string& key, Poco::Int64 min, Poco::Int64 max) const;
		/// Integers only: 1.0 and "1" are type errors; out of [min, max] too.
	std::optional<bool> getBool(const std::string& key) const;
	std::optional<JsonBody> getObject(const std::string& key) const;
	std::optional<std::map<std::string, std::string>> getStringMap(const std::string& key) const;
	std::optional<std::vector<std::string>> getStringArray(const std::string& key) const;
		/// An array of strings (a null element counts as "").
	std::optional<std::vector<JsonBody>> getObjectArray(const std::string& key) const;
		/// An array of objects (a null element counts as an empty object).

	Poco::JSON::Object::Ptr object() const;

private:
	Poco::Dynamic::Var value(const std::string& key) const;
	[[noreturn]] void typeError(const std::string& key, const std::string& want, const Poco::Dynamic::Var& got) const;

	Poco::JSON::Object::Ptr _pObject;
	std::string _errorPrefix;
};


} // namespace execd
