#pragma once

#include "JavaSettings.h"
#include "JvmContext.h"
#include "execd/ContextExecutor.h"


namespace execd {
namespace java {


class JavaExecutor: public ContextExecutor<JvmContext>
	/// The executor of the java language: each context is a JVM, started when the
	/// context is created (the default one on the first run without a context),
	/// and killed when it is deleted.
{
public:
	explicit JavaExecutor(const JavaSettings& settings);
		/// settings must outlive the executor.
};


} } // namespace execd::java
