#pragma once

#include "IsolationService.h"
#include "execd/Module.h"
#include <memory>


namespace execd {
namespace isolation {


class IsolationModule: public Module
	/// Isolated sessions (/v1/isolated/*): long-lived shells in bubblewrap
	/// namespaces, their runs, their per-session file routes, and diff and commit
	/// of overlay sessions (see IsolationService, RunHandler, ViewHandler).
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
