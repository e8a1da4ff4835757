#pragma once

#include <chrono>
#include <string>
#include <vector>


namespace execd {
namespace java {


struct JavaSettings
	/// What the java module read from its configuration, shared read-only by its
	/// executor and contexts.
{
	std::string java = "/usr/bin/java";
	std::string classPath;                            ///< where ExecdJShell.class is
	std::vector<std::string> jvmOptions{"-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xss4m", "-Xshare:auto"};
	std::chrono::milliseconds startTimeout{20000};    ///< a new JVM must say READY within this

	static constexpr int MAX_CAUSES = 64;
		///< levels of an error's traceback (the exception and its causes); the
		///< runner gets it as -Dexecd.maxCauses
};


} } // namespace execd::java
