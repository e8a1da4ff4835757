#pragma once

#include "execd/ExecutorRegistry.h"
#include "execd/JsonHandler.h"
#include "execd/Route.h"
#include <string>
#include <vector>


namespace execd {


class CapabilitiesHandler: public JsonHandler
	/// GET /capabilities: what this execd is and can do, for SDKs and operators
	/// to negotiate:
	///
	///     {"version":"0.4.0","modules":["shell",...],
	///      "languages":{"python":{"module":"jupyter"},...},
	///      "commands":{"command":{"module":"shell"},...},
	///      "features":{"resumable_streams":true,...},
	///      "limits":{"execd.http.maxJsonBodyBytes":33554432,...}}
	///
	/// Features and limits come from Capabilities.
{
public:
	CapabilitiesHandler(const RouteMatch& match, std::vector<std::string> modules, const ExecutorRegistry& executors);

protected:
	// execd::JsonHandler
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override;

private:
	std::vector<std::string> _modules;
	const ExecutorRegistry& _executors;
};


Route capabilitiesRoute(std::vector<std::string> modules, const ExecutorRegistry& executors);


} // namespace execd
