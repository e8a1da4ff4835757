#include "GoExecutor.h"


namespace execd {
namespace go {


GoExecutor::GoExecutor(const GoSettings& settings):
	ContextExecutor<GoContext>("go", [&settings](const std::string& id, const std::string& cwd) {
		return std::make_shared<GoContext>(id, cwd, settings);
	})
{
}


} } // namespace execd::go
