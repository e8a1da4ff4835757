#include "execd/UserEnvironment.h"
#include "execd/EnvFile.h"
#include "execd/Paths.h"
#include "Poco/Exception.h"
#include "Poco/Logger.h"
#include "Poco/String.h"
#include <cstring>
#include <mutex>


extern char** environ;


namespace execd {


namespace {


const char* const RESERVED[] = {"EXECD_ACCESS_TOKEN", "JUPYTER_HOST", "JUPYTER_TOKEN", "EXECD_ISOLATION_CONFIG",
	"EXECD_ENVS", "OPENSANDBOX_LIFECYCLE", "EXECD_LIFECYCLE_CONFIG", "EXECD_RUNTIME_INIT"};


constexpr std::size_t MAX_LOGGED = 20;


void report(const std::string& path, const std::vector<EnvFile::Warning>& warnings, std::size_t more)
	// The file is read for every command: each set of problems of a file is
	// logged once (its first MAX_LOGGED), until the file reads cleanly or has
	// other problems.
{
	static std::mutex mutex;
	static std::map<std::string, std::vector<std::string>> reported;
	std::vector<std::string> lines;
	const std::string prefix = "EXECD_ENVS file " + path;
	for (const EnvFile::Warning& w: warnings)
	{
		if (lines.size() == MAX_LOGGED) break;
		lines.push_back(prefix + (w.line > 0 ? " line " + std::to_string(w.line) : std::string()) + ": " + w.message);
	}
	more += warnings.size() - lines.size();
	if (more > 0) lines.push_back(prefix + ": " + std::to_string(more) + " more problems not logged");
	{
		std::lock_guard<std::mutex> lock(mutex);
		std::vector<std::string>& last = reported[path];
		if (last == lines) return;
		last = lines;
	}
	Poco::Logger& logger = Poco::Logger::get("execd.env");
	for (const std::string& line: lines) logger.warning(line);
}


EnvFile::Variables fileEntries(const EnvFile::Variables& base)
{
	const char* named = std::getenv("EXECD_ENVS");
	if (!named || !*named) return {};
	std::string path = named;
	std::vector<EnvFile::Warning> warnings;
	std::size_t more = 0;
	EnvFile::Variables entries;
	try
	{
		path = Paths::expand(path);
		EnvFile file = EnvFile::read(path, base);
		warnings = file.warnings();
		more = file.moreWarnings();
		for (const auto& kv: file.entries())
		{
			if (!UserEnvironment::reserved(kv.first))
				entries.insert(kv);
			else if (warnings.size() < EnvFile::MAX_WARNINGS)
				warnings.push_back({0, kv.first + " is reserved by execd; ignored"});
			else
				++more;
		}
	}
	catch (Poco::Exception& exc)
	{
		warnings.push_back({0, exc.message()});   // an undefined $NAME in the path
	}
	report(path, warnings, more);
	return entries;
}


} // namespace


bool UserEnvironment::reserved(const std::string& name)
{
	for (const char* r: RESERVED)
	{
		if (Poco::icompare(name, r) == 0) return true;
	}
	return false;
}


UserEnvironment::Variables UserEnvironment::build(const Variables& extras)
{
	Variables env;
	for (char** e = environ; *e; ++e)
	{
		const char* eq = std::strchr(*e, '=');
		if (!eq) continue;
		std::string name(*e, static_cast<std::size_t>(eq - *e));
		if (!reserved(name)) env[name] = eq + 1;
	}
	for (const auto& kv: fileEntries(env))
		env[kv.first] = kv.second;
	for (const auto& kv: extras)
		env[kv.first] = kv.second;
	return env;
}


std::vector<std::string> UserEnvironment::entries(const Variables& extras)
{
	std::vector<std::string> out;
	for (const auto& kv: build(extras))
		out.push_back(kv.first + "=" + kv.second);
	return out;
}


} // namespace execd
