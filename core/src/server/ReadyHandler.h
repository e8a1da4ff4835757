#pragma once

#include "execd/Route.h"
#include <atomic>


namespace execd {


Route readyRoute(const std::atomic<bool>& ready);
	/// GET /ready: 200 {"initialized":true} once user workloads may run (at once
	/// in classic startup; with --init, once the entrypoint was launched), else
	/// 503 {"initialized":false}. Orchestrators poll it without the access token
	/// (see RequestDispatcher::allowWithoutToken). ready must outlive the route.


} // namespace execd
