#include "JavaExecutor.h"


namespace execd {
namespace java {


JavaExecutor::JavaExecutor(const JavaSettings& settings):
	ContextExecutor<JvmContext>("java", [&settings](const std::string& id, const std::string& cwd) {
		auto pContext = std::make_shared<JvmContext>(id, cwd, settings);
		pContext->start();
		return pContext;
	}, DefaultFailure::EXPLAIN)
{
}


} } // namespace execd::java
