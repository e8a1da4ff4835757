#pragma once

#include "JavaExecutor.h"
#include "JavaSettings.h"
#include "execd/Module.h"
#include <memory>
#include <string>
#include <vector>


namespace execd {
namespace java {


class JavaModule: public Module
	/// Java code contexts: a JVM per context running execd's JShell runner.
	///
	///     module.java.java = $JAVA_HOME/bin/java, else java on the PATH, else /usr/bin/java
	///     module.java.classPath = <module dir>/java   # the JShell runner's classes
	///     module.java.startTimeoutMillis = 20000      # 1 s .. 10 min: a new JVM must answer within this
	///     module.java.language = java                 # the language clients name in /code
{
public:
	// execd::Module
	std::string name() const override;
	void configure(ModuleContext& context) override;
	std::vector<ExecutorBinding> executors() override;
	void shutdown() override;

private:
	JavaSettings _settings;
	std::string _language = "java";
	std::unique_ptr<JavaExecutor> _pExecutor;
};


} } // namespace execd::java
