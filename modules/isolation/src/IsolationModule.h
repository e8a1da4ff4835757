#pragma once

#include "BwrapProbe.h"
#include "execd/Module.h"


namespace execd {
namespace isolation {


class IsolationModule: public Module
	/// Isolated sessions (/v1/isolated/*): long-lived shells in bubblewrap
	/// namespaces. Work in progress (issue #18): so far the start-up probe only;
	/// not in the default module list until the routes are complete.
{
public:
	// execd::Module
	std::string name() const override;
	void configure(ModuleContext& context) override;
	void start() override;

	const Capabilities& capabilities() const;

private:
	Capabilities _capabilities;
};


} } // namespace execd::isolation
