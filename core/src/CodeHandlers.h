#pragma once

#include "execd/ExecutorRegistry.h"
#include "execd/Route.h"
#include <vector>


namespace execd {


std::vector<Route> coreRoutes(ExecutorRegistry& executors);
	/// The routes the core serves itself: /ping and the /code dispatcher
	/// (POST /code, DELETE /code, POST /code/context, GET/DELETE /code/contexts,
	/// GET/DELETE /code/contexts/{contextId}). Executors are looked up per request,
	/// so a module loaded in any order serves its languages.


} // namespace execd
