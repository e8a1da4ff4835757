// The java language: stateful contexts in long-lived JVMs driving JShell.
// Uses only the public module API (include/execd), like any out-of-tree module.

#include "JavaModule.h"
#include "execd/Capabilities.h"
#include "execd/Paths.h"
#include "Poco/ClassLibrary.h"
#include <cstdlib>
#include <dlfcn.h>
#include <unistd.h>


namespace execd {
namespace java {


namespace {


std::string moduleDirectory()
	// Where this library lives: the runner's classes are in "java" next to it.
{
	Dl_info info;
	if (::dladdr(reinterpret_cast<void*>(&moduleDirectory), &info) && info.dli_fname)
	{
		std::string path = info.dli_fname;
		std::size_t slash = path.rfind('/');
		if (slash != std::string::npos) return path.substr(0, slash);
	}
	return ".";
}


std::string defaultJava()
	// $JAVA_HOME/bin/java, else java on the PATH (eclipse-temurin has both),
	// else Debian's /usr/bin/java.
{
	const char* home = std::getenv("JAVA_HOME");
	if (home && *home && ::access((std::string(home) + "/bin/java").c_str(), X_OK) == 0) return std::string(home) + "/bin/java";
	std::string java = Paths::findExecutable("java", {"/usr/bin/java"});
	return java.empty() ? std::string("/usr/bin/java") : java;
}


} // namespace


std::string JavaModule::name() const
{
	return "java";
}


void JavaModule::configure(ModuleContext& context)
{
	ConfigReader config = context.settings();
	_settings.java = config.getString("java", defaultJava());
	_settings.classPath = config.getString("classPath", moduleDirectory() + "/java");
	_settings.startTimeout = config.getMillis("startTimeoutMillis", _settings.startTimeout, std::chrono::milliseconds(1000), std::chrono::minutes(10));
	_language = config.getString("language", "java");
	if (::access(_settings.java.c_str(), X_OK) != 0)
		context.logger().warning("%s is not executable: java contexts will fail to start", _settings.java);
	_pExecutor = std::make_unique<JavaExecutor>(_settings);
	Capabilities::instance().setLimit("java.tracebackMaxCauses", static_cast<Poco::UInt64>(JavaSettings::MAX_CAUSES));
}


std::vector<ExecutorBinding> JavaModule::executors()
{
	return {ExecutorBinding::code(_language, *_pExecutor)};
}


void JavaModule::shutdown()
{
	_pExecutor->shutdown();
}


} } // namespace execd::java


POCO_BEGIN_MANIFEST(execd::Module)
	POCO_EXPORT_CLASS(execd::java::JavaModule)
POCO_END_MANIFEST
