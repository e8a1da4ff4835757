#pragma once

/// Build-wide definitions shared by the core and every module.

#include "execd/ModuleApiVersion.h"

#define EXECD_API __attribute__((visibility("default")))

namespace execd {


constexpr int MODULE_API_VERSION = EXECD_MODULE_API_VERSION;
	/// Bumped whenever Module, ModuleContext, Executor or EventSink change in a way
	/// that breaks modules built against an older core. The core refuses to load a
	/// module built for another version. Set in cmake/ExecdModule.cmake.


} // namespace execd
