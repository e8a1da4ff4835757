#include "server/CapabilitiesHandler.h"
#include "execd/Capabilities.h"
#include "execd/Http.h"
#include "Poco/JSON/Array.h"
#include "Poco/JSON/Object.h"


namespace execd {


CapabilitiesHandler::CapabilitiesHandler(const RouteMatch& match, std::vector<std::string> modules, const ExecutorRegistry& executors):
	JsonHandler(match),
	_modules(std::move(modules)),
	_executors(executors)
{
}


void CapabilitiesHandler::handle(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& response)
{
	Poco::JSON::Object::Ptr pRoot = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
	pRoot->set("version", std::string(EXECD_VERSION));
	Poco::JSON::Array::Ptr pModules = new Poco::JSON::Array;
	for (const std::string& name: _modules) pModules->add(name);
	pRoot->set("modules", pModules);
	auto byKind = [this](const std::string& kind)
	{
		Poco::JSON::Object::Ptr pKind = new Poco::JSON::Object;
		for (const std::string& name: _executors.names(kind))
		{
			Poco::JSON::Object::Ptr pEntry = new Poco::JSON::Object;
			pEntry->set("module", _executors.owner(kind, name));
			pKind->set(name, pEntry);
		}
		return pKind;
	};
	pRoot->set("languages", byKind(ExecutorKey::CODE));
	pRoot->set("commands", byKind(ExecutorKey::COMMAND));
	Poco::JSON::Object::Ptr pFeatures = new Poco::JSON::Object;
	for (const auto& feature: Capabilities::instance().features()) pFeatures->set(feature.first, feature.second);
	pRoot->set("features", pFeatures);
	Poco::JSON::Object::Ptr pLimits = new Poco::JSON::Object;
	for (const auto& limit: Capabilities::instance().limits()) pLimits->set(limit.first, limit.second);
	pRoot->set("limits", pLimits);
	Http::sendJson(response, Poco::Dynamic::Var(pRoot));
}


Route capabilitiesRoute(std::vector<std::string> modules, const ExecutorRegistry& executors)
{
	const ExecutorRegistry* pExecutors = &executors;
	return {"GET", "/capabilities", [modules, pExecutors](const RouteMatch& m) {
		return std::make_unique<CapabilitiesHandler>(m, modules, *pExecutors); }};
}


} // namespace execd
