#pragma once
// What the Jupyter suites share: reading a run's events, and looking at processes.

#include "ExecdProcess.h"
#include "Poco/JSON/Object.h"
#include <map>
#include <string>
#include <vector>


namespace execd {
namespace test {


std::vector<Poco::JSON::Object::Ptr> events(const HttpResult& r);
std::string types(const std::vector<Poco::JSON::Object::Ptr>& evs);
Poco::JSON::Object::Ptr firstOf(const std::vector<Poco::JSON::Object::Ptr>& evs, const std::string& type);
std::string stdoutText(const std::vector<Poco::JSON::Object::Ptr>& evs);
std::vector<int> childrenNamed(int parent, const std::string& needle);
std::string procText(int pid, const std::string& name);
std::string fileText(const std::string& path);
std::string match(const std::string& text, const std::string& pattern);
bool gone(int pid);

extern const std::string PROBE;
	///< What a command of another uid runs: it looks for execd's secrets wherever it
	///< can read and tries to write a root-owned file through a Jupyter server (argv: port, nonce).

std::string probeAsNobody(int execdPort, const std::map<std::string, std::string>& headers, const std::string& serverPort,
	const std::string& nonce);
	///< Runs PROBE as uid 65534 through execd's POST /command; its stdout, a line per event.


} } // namespace execd::test
