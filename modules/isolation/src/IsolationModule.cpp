#include "IsolationModule.h"
#include "IsolationConfig.h"
#include "IsolationHandler.h"
#include "RunHandler.h"
#include "SeccompProgram.h"
#include "ViewHandler.h"
#include "RunScript.h"
#include "NamePattern.h"
#include "execd/ApiException.h"
#include "execd/Capabilities.h"
#include "Poco/ClassLibrary.h"
#include <climits>


namespace execd {
namespace isolation {


std::string IsolationModule::name() const
{
	return "isolation";
}


void IsolationModule::configure(ModuleContext& context)
{
	ConfigReader config = context.settings();
	// Upstream's TOML file first, then the properties, which win.
	IsolationConfig file;
	try
	{
		file = IsolationConfig::load(config.getString("config", ""));
	}
	catch (Poco::Exception& exc)
	{
		throw ConfigurationException(exc.message());
	}
	_settings.upperRoot = config.getString("upperRoot", file.upperRoot.value_or(_settings.upperRoot));
	_settings.allowedWritable = config.getList("allowedWritable", file.allowedWritable.value_or(_settings.allowedWritable));
	_settings.upperMaxBytes = static_cast<unsigned long long>(config.getInt64("upperMaxBytes",
		file.upperMaxBytes.value_or(static_cast<long long>(_settings.upperMaxBytes)), 0, LLONG_MAX));
	_settings.seccompDeny = config.getList("seccompDeny", file.seccompDeny.value_or(SeccompProgram::DEFAULT_DENY));
	_settings.gcInterval = config.getMillis("gcIntervalMillis", _settings.gcInterval, std::chrono::milliseconds(10), std::chrono::hours(24));
	execd::Capabilities& c = execd::Capabilities::instance();
	c.setLimit("module.isolation.upperMaxBytes", static_cast<Poco::UInt64>(_settings.upperMaxBytes));
	c.setLimit("isolation.walkMaxEntries", static_cast<Poco::UInt64>(ViewHandler::WALK_MAX_ENTRIES));
	c.setLimit("isolation.diffMaxEntries", static_cast<Poco::UInt64>(IsolationService::DIFF_MAX_ENTRIES));
	c.setLimit("isolation.replaceMaxBytes", static_cast<Poco::UInt64>(ViewHandler::REPLACE_MAX_BYTES));
	c.setLimit("isolation.runLineMaxBytes", static_cast<Poco::UInt64>(RunScript::MAX_LINE));
	c.setLimit("isolation.uploadMaxFiles", static_cast<Poco::UInt64>(ViewHandler::MAX_UPLOAD_FILES));
	c.setLimit("isolation.searchPatternMaxBytes", static_cast<Poco::UInt64>(NamePattern::MAX_PATTERN_BYTES));
	c.setLimit("isolation.configMaxBytes", static_cast<Poco::UInt64>(IsolationConfig::MAX_BYTES));
	// Probed once, at start-up (contract §3.6), in the background (see start()).
	_pService = std::make_unique<IsolationService>([] { return BwrapProbe::run(); }, _settings);
}


std::vector<Route> IsolationModule::routes()
{
	IsolationService* p = _pService.get();
	using Kind = IsolationHandler::Kind;
	auto route = [p](const char* method, const char* pattern, Kind kind)
	{
		return Route{method, pattern, [p, kind](const RouteMatch& m) { return std::make_unique<IsolationHandler>(m, *p, kind); }};
	};
	using ViewKind = ViewHandler::Kind;
	auto view = [p](const char* method, const char* pattern, ViewKind kind)
	{
		return Route{method, pattern, [p, kind](const RouteMatch& m) { return std::make_unique<ViewHandler>(m, *p, kind); }};
	};
	return {
		route("GET", "/v1/isolated/capabilities", Kind::CAPABILITIES),
		route("POST", "/v1/isolated/session", Kind::CREATE),
		route("GET", "/v1/isolated/sessions", Kind::LIST),
		route("GET", "/v1/isolated/session/{id}", Kind::STATE),
		route("DELETE", "/v1/isolated/session/{id}", Kind::DELETE),
		{"POST", "/v1/isolated/session/{id}/run", [p](const RouteMatch& m) { return std::make_unique<RunHandler>(m, *p); }},
		route("GET", "/v1/isolated/session/{id}/diff", Kind::DIFF),
		route("POST", "/v1/isolated/session/{id}/commit", Kind::COMMIT),
		view("GET", "/v1/isolated/session/{id}/files/info", ViewKind::INFO),
		view("GET", "/v1/isolated/session/{id}/files/download", ViewKind::DOWNLOAD),
		view("POST", "/v1/isolated/session/{id}/files/upload", ViewKind::UPLOAD),
		view("DELETE", "/v1/isolated/session/{id}/files", ViewKind::DELETE_FILES),
		view("POST", "/v1/isolated/session/{id}/files/mv", ViewKind::MOVE),
		view("POST", "/v1/isolated/session/{id}/files/permissions", ViewKind::PERMISSIONS),
		view("POST", "/v1/isolated/session/{id}/files/replace", ViewKind::REPLACE),
		view("GET", "/v1/isolated/session/{id}/files/search", ViewKind::SEARCH),
		view("GET", "/v1/isolated/session/{id}/directories/list", ViewKind::LIST),
		view("POST", "/v1/isolated/session/{id}/directories", ViewKind::MKDIR),
		view("DELETE", "/v1/isolated/session/{id}/directories", ViewKind::RMDIR),
	};
}


void IsolationModule::start()
{
	_pService->start();
}


void IsolationModule::shutdown()
{
	_pService->stop();   // every session torn down
}


} } // namespace execd::isolation


POCO_BEGIN_MANIFEST(execd::Module)
	POCO_EXPORT_CLASS(execd::isolation::IsolationModule)
POCO_END_MANIFEST
