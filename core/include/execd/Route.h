#pragma once

#include "execd/Core.h"
#include "Poco/Net/HTTPRequestHandler.h"
#include <functional>
#include <map>
#include <memory>
#include <string>


namespace execd {


class EXECD_API RouteMatch
	/// The route a request matched, with the values of its {params}.
{
public:
	RouteMatch() = default;
	RouteMatch(std::string pattern, std::map<std::string, std::string> params);

	const std::string& pattern() const;
		/// The pattern as registered, e.g. "/code/contexts/{contextId}".

	const std::string& param(const std::string& name) const;
		/// The decoded value of {name}; an empty string when the pattern has no such param.

	const std::map<std::string, std::string>& params() const;

private:
	std::string _pattern;
	std::map<std::string, std::string> _params;
};


using HandlerFactory = std::function<std::unique_ptr<Poco::Net::HTTPRequestHandler>(const RouteMatch&)>;
	/// Makes the handler for one request. Called on the request's thread.


struct EXECD_API Route
	/// A method plus a path pattern, and what handles it.
	///
	/// Patterns are absolute paths whose segments are literals, "{name}" (one
	/// non-empty segment) or, as the last segment only, "{name*}" (the rest of the
	/// path, possibly empty, slashes included). A literal segment wins over a
	/// parameter at the same position, so "/command/status/{id}" and "/command/{id}"
	/// can live side by side.
{
	std::string method;
	std::string pattern;
	HandlerFactory create;
};


} // namespace execd
