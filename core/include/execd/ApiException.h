#pragma once

#include "execd/Core.h"
#include "Poco/Exception.h"
#include <string>


namespace execd {


namespace ErrorCode
	/// The "code" values of upstream's ErrorResponse, as SDKs expect them.
{
	constexpr const char* INVALID_REQUEST_BODY = "INVALID_REQUEST_BODY";
	constexpr const char* MISSING_QUERY = "MISSING_QUERY";
	constexpr const char* RUNTIME_ERROR = "RUNTIME_ERROR";
	constexpr const char* CONTEXT_NOT_FOUND = "CONTEXT_NOT_FOUND";
	constexpr const char* FILE_NOT_FOUND = "FILE_NOT_FOUND";
	constexpr const char* INVALID_FILE = "INVALID_FILE";
	constexpr const char* INVALID_FILE_CONTENT = "INVALID_FILE_CONTENT";
	constexpr const char* INVALID_FILE_METADATA = "INVALID_FILE_METADATA";
	constexpr const char* PRECONDITION_FAILED = "PRECONDITION_FAILED";
	constexpr const char* NOT_FOUND = "NOT_FOUND";
	constexpr const char* METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED";
	constexpr const char* PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE";
	constexpr const char* UNKNOWN = "UNKNOWN";
	constexpr const char* TOO_MANY_CONNECTIONS = "TOO_MANY_CONNECTIONS";
	constexpr const char* UNSUPPORTED_HTTP_VERSION = "UNSUPPORTED_HTTP_VERSION";
	constexpr const char* NOT_IMPLEMENTED = "NOT_IMPLEMENTED";
	constexpr const char* SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE";   ///< isolation unavailable
	constexpr const char* SESSION_NOT_FOUND = "SESSION_NOT_FOUND";
	constexpr const char* NOT_SUPPORTED = "NOT_SUPPORTED";
	constexpr const char* RUN_NOT_FOUND = "RUN_NOT_FOUND";   ///< no journal of that run (never resumable, or expired)
	constexpr const char* UPLOAD_NOT_FOUND = "UPLOAD_NOT_FOUND";
	constexpr const char* UPLOAD_OFFSET_MISMATCH = "UPLOAD_OFFSET_MISMATCH";   ///< 409, with Upload-Offset
	constexpr const char* DIGEST_MISMATCH = "DIGEST_MISMATCH";
	constexpr const char* IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED";   ///< 422: another request; 409: no outcome to give again
	constexpr const char* COMMAND_NOT_FOUND = "COMMAND_NOT_FOUND";       ///< 404: execd's own command routes
	constexpr const char* COMMAND_NOT_RUNNING = "COMMAND_NOT_RUNNING";   ///< 409: the command has ended
	constexpr const char* STDIN_NOT_OPEN = "STDIN_NOT_OPEN";             ///< 409: started without "stdin": true, or closed
	constexpr const char* STDIN_TIMEOUT = "STDIN_TIMEOUT";               ///< 408: the pipe stayed full (or another writer held it) too long
	constexpr const char* LIMITS_UNAVAILABLE = "LIMITS_UNAVAILABLE";     ///< 400: "limits" asked for a cgroup controller execd cannot use
}


class EXECD_API ApiException: public Poco::Exception
	/// An error the client should see: an HTTP status plus an ErrorResponse code.
	/// Thrown by handlers and executors; turned into {"code","message"} by the
	/// handler base classes, and nowhere else.
{
public:
	ApiException(int status, const std::string& errorCode, const std::string& message);
	ApiException(const ApiException& exc);
	~ApiException() noexcept override;
	ApiException& operator = (const ApiException& exc);

	int status() const;
		/// The HTTP status of the response.

	const std::string& errorCode() const;
		/// The ErrorResponse code, e.g. "FILE_NOT_FOUND".

	static ApiException badRequest(const std::string& message, const std::string& errorCode = ErrorCode::INVALID_REQUEST_BODY);
		/// 400, INVALID_REQUEST_BODY unless another code is given.

	static ApiException missingQuery(const std::string& parameter);
		/// 400 MISSING_QUERY "missing query parameter '<parameter>'".

	static ApiException notFound(const std::string& errorCode, const std::string& message);
		/// 404 with the given code.

	static ApiException runtimeError(const std::string& message);
		/// 500 RUNTIME_ERROR.

	// Poco::Exception
	const char* name() const noexcept override;
	const char* className() const noexcept override;
	Poco::Exception* clone() const override;
	void rethrow() const override;

private:
	int _status;
	std::string _errorCode;
};


class EXECD_API ConfigurationException: public Poco::RuntimeException
	/// A malformed setting. The message names the offending key. Stops startup;
	/// never reaches a client.
{
public:
	explicit ConfigurationException(const std::string& message);
	ConfigurationException(const ConfigurationException& exc);
	~ConfigurationException() noexcept override;
	ConfigurationException& operator = (const ConfigurationException& exc);

	// Poco::Exception
	const char* name() const noexcept override;
	const char* className() const noexcept override;
	Poco::Exception* clone() const override;
	void rethrow() const override;
};


} // namespace execd
