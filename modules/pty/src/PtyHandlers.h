#pragma once

#include "PtySessions.h"
#include "execd/Route.h"
#include <vector>


namespace execd {
namespace pty {


std::vector<Route> ptyRoutes(PtySessions& sessions);
	/// POST /pty, GET /pty, GET and DELETE /pty/{id}, GET /pty/{id}/ws.


} } // namespace execd::pty
