#include "execd/ApiException.h"
#include <typeinfo>


namespace execd {


ApiException::ApiException(int status, const std::string& errorCode, const std::string& message):
	Poco::Exception(message),
	_status(status),
	_errorCode(errorCode)
{
}


ApiException::ApiException(const ApiException& exc) = default;
ApiException::~ApiException() noexcept = default;
ApiException& ApiException::operator = (const ApiException& exc) = default;


int ApiException::status() const
{
	return _status;
}


const std::string& ApiException::errorCode() const
{
	return _errorCode;
}


ApiException ApiException::badRequest(const std::string& message, const std::string& errorCode)
{
	return ApiException(400, errorCode, message);
}


ApiException ApiException::missingQuery(const std::string& parameter)
{
	return ApiException(400, ErrorCode::MISSING_QUERY, "missing query parameter '" + parameter + "'");
}


ApiException ApiException::notFound(const std::string& errorCode, const std::string& message)
{
	return ApiException(404, errorCode, message);
}


ApiException ApiException::runtimeError(const std::string& message)
{
	return ApiException(500, ErrorCode::RUNTIME_ERROR, message);
}


const char* ApiException::name() const noexcept
{
	return "API error";
}


const char* ApiException::className() const noexcept
{
	return typeid(*this).name();
}


Poco::Exception* ApiException::clone() const
{
	return new ApiException(*this);
}


void ApiException::rethrow() const
{
	throw *this;
}


ConfigurationException::ConfigurationException(const std::string& message):
	Poco::RuntimeException(message)
{
}


ConfigurationException::ConfigurationException(const ConfigurationException& exc) = default;
ConfigurationException::~ConfigurationException() noexcept = default;
ConfigurationException& ConfigurationException::operator = (const ConfigurationException& exc) = default;


const char* ConfigurationException::name() const noexcept
{
	return "Configuration error";
}


const char* ConfigurationException::className() const noexcept
{
	return typeid(*this).name();
}


Poco::Exception* ConfigurationException::clone() const
{
	return new ConfigurationException(*this);
}


void ConfigurationException::rethrow() const
{
	throw *this;
}


} // namespace execd
