#pragma once

#include "GoContext.h"
#include "GoSettings.h"
#include "execd/ContextExecutor.h"


namespace execd {
namespace go {


class GoExecutor: public ContextExecutor<GoContext>
	/// The executor of the go language: its contexts are GoContexts, each with a
	/// directory of its own under the work root; deleting one interrupts its run.
{
public:
	explicit GoExecutor(const GoSettings& settings);
		/// settings must outlive the executor.
};


} } // namespace execd::go
