// The go language: contexts that remember imports and top-level declarations;
// each run compiles one program (remembered declarations + the cell, whose
// statements become the body of main) and runs it. Public module API only.

#include "GoModule.h"
#include "execd/Paths.h"
#include "Poco/ClassLibrary.h"
#include <cstdlib>
#include <unistd.h>


namespace execd {
namespace go {


namespace {


std::string defaultGo()
	// $GOROOT/bin/go, else go on the PATH, else the official images' and
	// Debian's places.
{
	const char* root = std::getenv("GOROOT");
	if (root && *root && ::access((std::string(root) + "/bin/go").c_str(), X_OK) == 0) return std::string(root) + "/bin/go";
	std::string go = Paths::findExecutable("go", {"/usr/local/go/bin/go", "/usr/bin/go"});
	return go.empty() ? std::string("/usr/bin/go") : go;
}


} // namespace


std::string GoModule::name() const
{
	return "go";
}


void GoModule::configure(ModuleContext& context)
{
	ConfigReader config = context.settings();
	_settings.goBinary = config.getString("go", defaultGo());
	_settings.workRoot = config.getString("workDirectory", std::getenv("TMPDIR") && *std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp");
	_language = config.getString("language", "go");
	if (::access(_settings.goBinary.c_str(), X_OK) != 0)
		context.logger().warning("%s is not executable: go runs will fail", _settings.goBinary);
	_pExecutor = std::make_unique<GoExecutor>(_settings);
}


std::vector<ExecutorBinding> GoModule::executors()
{
	return {ExecutorBinding::code(_language, *_pExecutor)};
}


void GoModule::shutdown()
{
	_pExecutor->shutdown();
}


} } // namespace execd::go


POCO_BEGIN_MANIFEST(execd::Module)
	POCO_EXPORT_CLASS(execd::go::GoModule)
POCO_END_MANIFEST
