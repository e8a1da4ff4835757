#include "GoExecutor.h"


namespace execd {
namespace go {


GoExecutor::GoExecutor(const GoSettings& settings):
	ContextExecutor<GoContext>("go", [&settings](const std::string& id, const std::string& cwd, const ResourceGroup::Ptr& pGroup) {
		return std::make_shared<GoContext>(id, cwd, settings, pGroup);
	})
{
}


} } // namespace execd::go
