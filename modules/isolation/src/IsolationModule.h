#pragma once

#include "IsolationService.h"
#include "execd/Module.h"
#include <memory>


namespace execd {
namespace isolation {


class IsolationModule: public Module
	/// Isolated sessions (/v1/isolated/*): long-lived shells in bubblewrap
	/// namespaces. Work in progress (issue #18): the probe and the JSON routes
	/// (capabilities, create, list, state, delete; diff and commit stubs), no runs
	/// and no per-session files yet; not in the default module list until complete.
{
public:
	// execd::Module
	std::string name() const override;
	void configure(ModuleContext& context) override;
	std::vector<Route> routes() override;
	void start() override;
	void shutdown() override;

private:
	IsolationService::Settings _settings;
	std::unique_ptr<IsolationService> _pService;
};


} } // namespace execd::isolation
