// Modules that fail at startup, one library per way of failing; which one this
// build is comes from FAULT (see test/CMakeLists.txt).

#include "execd/ApiException.h"
#include "execd/Http.h"
#include "execd/Module.h"
#include "Poco/ClassLibrary.h"


namespace execd {
namespace test {


class NullExecutor: public CodeExecutor
{
public:
	void run(const ExecRequest&, EventSink&) override {}
	ContextInfo createContext(const std::string&, const std::string&) override { return {}; }
	std::vector<ContextInfo> listContexts() override { return {}; }
	std::optional<ContextInfo> findContext(const std::string&) override { return std::nullopt; }
	bool deleteContext(const std::string&) override { return false; }
};


class FaultyModule: public Module
{
public:
	std::string name() const override
	{
		return FAULT_NAME;
	}

	void configure(ModuleContext& context) override
	{
		// "broken": a malformed value, or a refusal on request.
		_count = context.settings().getInt("count", 1, 0, 100);
		if (context.settings().getBool("fail", false))
			throw Poco::RuntimeException("asked to fail");
		_routeClash = context.settings().getBool("routeClash", false);
		_executorClash = context.settings().getBool("executorClash", false);
	}

	std::vector<Route> routes() override
	{
		if (!_routeClash) return {};
		return {{"GET", "/test/clone3", [](const RouteMatch&) { return std::unique_ptr<Poco::Net::HTTPRequestHandler>(); }}};
	}

	std::vector<ExecutorBinding> executors() override
	{
		if (!_executorClash) return {};
		return {ExecutorBinding::code("sleepy", _executor)};
	}

	int apiVersion() const override
	{
		return FAULT_API_VERSION;
	}

private:
	int _count = 1;
	bool _routeClash = false;
	bool _executorClash = false;
	NullExecutor _executor;
};


} } // namespace execd::test


#ifndef FAULT_NO_MANIFEST
POCO_BEGIN_MANIFEST(execd::Module)
	POCO_EXPORT_CLASS(execd::test::FaultyModule)
POCO_END_MANIFEST
#endif
