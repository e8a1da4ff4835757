#pragma once

/// Build-wide definitions shared by the core and every module.

#define EXECD_API __attribute__((visibility("default")))

namespace execd {


constexpr int MODULE_API_VERSION = 1;
	/// Bumped whenever Module, ModuleContext, Executor or EventSink change in a way
	/// that breaks modules built against an older core. The core refuses to load a
	/// module built for another version.


} // namespace execd
