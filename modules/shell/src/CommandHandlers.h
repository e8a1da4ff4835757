#pragma once

#include "CommandRunner.h"
#include "execd/ExecutorRegistry.h"
#include "execd/Route.h"
#include <vector>


namespace execd {
namespace shell {


std::vector<Route> commandRoutes(CommandRunner& runner, ExecutorRegistry& executors);
	/// POST /command, DELETE /command, GET /command/status/{id}, GET /command/{id}/logs.


} } // namespace execd::shell
