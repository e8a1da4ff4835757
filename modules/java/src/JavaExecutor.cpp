#include "JavaExecutor.h"


namespace execd {
namespace java {


JavaExecutor::JavaExecutor(const JavaSettings& settings):
	ContextExecutor<JvmContext>("java", [&settings](const std::string& id, const std::string& cwd, const ResourceGroup::Ptr& pGroup) {
		auto pContext = std::make_shared<JvmContext>(id, cwd, settings, pGroup);
		pContext->start();
		return pContext;
	}, DefaultFailure::EXPLAIN)
{
}


} } // namespace execd::java
