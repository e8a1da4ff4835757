#include "ExecdProcess.h"
#include "execd/StreamEvent.h"
#include "Poco/File.h"
#include "Poco/JSON/Parser.h"
#include "Poco/FileStream.h"
#include "Poco/Net/SocketAddress.h"
#include "Poco/Net/StreamSocket.h"
#include "Poco/NumberParser.h"
#include "Poco/String.h"
#include "Poco/TemporaryFile.h"
#include <atomic>
#include <cerrno>
#include <cppunit/TestAssert.h>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <spawn.h>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>


extern char** environ;


namespace execd {
namespace test {


std::string HttpResult::header(const std::string& name) const
{
	for (const auto& h: headers)
	{
		if (Poco::icompare(h.first, name) == 0) return h.second;
	}
	return "";
}


bool HttpResult::hasHeader(const std::string& name) const
{
	for (const auto& h: headers)
	{
		if (Poco::icompare(h.first, name) == 0) return true;
	}
	return false;
}


namespace {


std::string dechunk(const std::string& raw)
{
	std::string out;
	std::size_t pos = 0;
	while (pos < raw.size())
	{
		std::size_t eol = raw.find("\r\n", pos);
		if (eol == std::string::npos) break;
		unsigned long size = std::stoul(raw.substr(pos, eol - pos), nullptr, 16);
		pos = eol + 2;
		if (size == 0) break;
		out.append(raw, pos, size);
		pos += size + 2;
	}
	return out;
}


} // namespace


namespace {


void parseHead(HttpResult& result, std::size_t end)
{
	result.head = result.raw.substr(0, end);
	result.headers.clear();
	std::istringstream head(result.head);
	std::string line;
	std::getline(head, line);
	if (line.size() >= 12) result.status = std::stoi(line.substr(9, 3));
	while (std::getline(head, line))
	{
		if (!line.empty() && line.back() == '\r') line.pop_back();
		std::size_t colon = line.find(':');
		if (colon == std::string::npos) continue;
		result.headers.emplace_back(line.substr(0, colon), Poco::trim(line.substr(colon + 1)));
	}
}


bool complete(HttpResult& result)
{
	std::size_t end = result.raw.find("\r\n\r\n");
	if (end == std::string::npos) return false;
	if (result.head.empty()) parseHead(result, end);
	std::size_t bodyBytes = result.raw.size() - end - 4;
	if (Poco::icompare(result.header("Transfer-Encoding"), "chunked") == 0)
		return result.raw.size() >= 5 && result.raw.compare(result.raw.size() - 5, 5, "0\r\n\r\n") == 0;
	if (result.hasHeader("Content-Length"))
		return bodyBytes >= std::stoul(result.header("Content-Length"));
	return result.status == 204 || result.status == 304 || (result.status >= 100 && result.status < 200);
}


} // namespace


HttpResult rawRequest(int port, const std::string& bytes, std::chrono::milliseconds timeout, bool untilClose, const DataCallback& onData)
{
	HttpResult result;
	Poco::Net::StreamSocket socket;
	socket.connect(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)), Poco::Timespan(5, 0));
	socket.setReceiveTimeout(Poco::Timespan(timeout.count() * 1000));
	std::size_t sent = 0;
	try
	{
		while (sent < bytes.size())
		{
			int n = socket.sendBytes(bytes.data() + sent, static_cast<int>(std::min<std::size_t>(bytes.size() - sent, 1 << 20)));
			if (n <= 0) break;
			sent += static_cast<std::size_t>(n);
		}
	}
	catch (Poco::Exception&)
	{
		// The server may answer (and close) before reading everything.
	}
	char buffer[65536];
	auto deadline = std::chrono::steady_clock::now() + timeout;
	try
	{
		while (std::chrono::steady_clock::now() < deadline)
		{
			int n = socket.receiveBytes(buffer, sizeof(buffer));
			if (n <= 0) break;
			result.raw.append(buffer, static_cast<std::size_t>(n));
			if (onData) onData(result.raw);
			if (!untilClose && complete(result)) break;
		}
	}
	catch (Poco::Exception&)
	{
	}
	std::size_t end = result.raw.find("\r\n\r\n");
	if (end == std::string::npos) return result;
	parseHead(result, end);
	result.rawBody = result.raw.substr(end + 4);
	result.body = Poco::icompare(result.header("Transfer-Encoding"), "chunked") == 0 ? dechunk(result.rawBody) : result.rawBody;
	return result;
}


HttpResult request(int port, const std::string& method, const std::string& target, const std::string& body,
	const std::map<std::string, std::string>& headers, const DataCallback& onData)
{
	std::string bytes = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
	for (const auto& h: headers)
		bytes += h.first + ": " + h.second + "\r\n";
	if (!body.empty() || method == "POST" || method == "PUT")
		bytes += "Content-Length: " + std::to_string(body.size()) + "\r\n";
	bytes += "\r\n" + body;
	return rawRequest(port, bytes, std::chrono::seconds(20), false, onData);
}


std::future<HttpResult> startRequest(int port, const std::string& method, const std::string& target, const std::string& body,
	const std::string& marker, std::chrono::milliseconds within)
{
	auto pSeen = std::make_shared<std::promise<void>>();
	auto pDone = std::make_shared<std::atomic<bool>>(false);
	std::future<void> seen = pSeen->get_future();
	std::future<HttpResult> result = std::async(std::launch::async, [=] {
		return request(port, method, target, body, {}, [=](const std::string& soFar) {
			if (!*pDone && soFar.find(marker) != std::string::npos)
			{
				*pDone = true;
				pSeen->set_value();
			}
		});
	});
	if (seen.wait_for(within) != std::future_status::ready)
		CPPUNIT_FAIL("no \"" + marker + "\" in the response to " + method + " " + target + " within " + std::to_string(within.count()) + " ms");
	return result;
}


std::vector<std::string> sseEvents(const std::string& body)
{
	std::vector<std::string> events;
	std::size_t pos = 0;
	while (pos < body.size())
	{
		std::size_t end = body.find("\n\n", pos);
		if (end == std::string::npos)
		{
			events.push_back(body.substr(pos));
			break;
		}
		events.push_back(body.substr(pos, end - pos));
		pos = end + 2;
	}
	return events;
}


std::string jsonEscape(const std::string& text)
{
	std::string quoted = execd::Json::quote(text);
	return quoted.substr(1, quoted.size() - 2);
}


std::string quote(const std::string& text)
{
	return execd::Json::quote(text);
}


Poco::JSON::Object::Ptr object(const std::string& json)
{
	return Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
}


std::vector<std::string> withoutPings(const std::vector<std::string>& events)
{
	std::vector<std::string> result;
	for (const std::string& e: events)
	{
		if (e.find("\"type\":\"ping\"") == std::string::npos) result.push_back(e);
	}
	return result;
}


std::string ExecdProcess::binary()
{
	// EXECD_TEST_BINARY in the environment runs the suites against another build
	// (e.g. to show that a regression test fails without its fix).
	const char* other = std::getenv("EXECD_TEST_BINARY");
	return other && *other ? other : EXECD_TEST_BINARY;
}


std::vector<std::string> ExecdProcess::environmentWrapper()
{
	// EXECD_TEST_WRAPPER runs every execd of the suites through a command, e.g.
	// execd_oldkernel (the oldkernel.* ctest entries); words split on spaces.
	std::vector<std::string> words;
	const char* wrapper = std::getenv("EXECD_TEST_WRAPPER");
	std::istringstream in(wrapper ? wrapper : "");
	std::string word;
	while (in >> word) words.push_back(word);
	return words;
}


std::string ExecdProcess::oldKernelWrapper()
{
	return EXECD_TEST_OLDKERNEL;
}


std::string ExecdProcess::testModuleDir()
{
	return EXECD_TEST_MODULE_DIR;
}


std::string ExecdProcess::moduleDir()
{
	return EXECD_MODULE_DIR;
}


ExecdProcess::Options ExecdProcess::probe(const std::vector<std::string>& properties)
{
	Options o;
	o.properties = {"execd.modules.load = probe"};
	o.properties.insert(o.properties.end(), properties.begin(), properties.end());
	return o;
}


ExecdProcess::Options ExecdProcess::modules(const std::string& list)
{
	Options o;
	o.testModules = false;
	o.properties = {"execd.modules.load = " + list};
	return o;
}


ExecdProcess::ExecdProcess(const Options& options)
{
	start(options);
}


ExecdProcess& ExecdProcess::keep(std::unique_ptr<ExecdProcess>& slot, const Options& options)
{
	if (!slot || !slot->running()) slot = std::make_unique<ExecdProcess>(options);
	return *slot;
}


ExecdProcess::~ExecdProcess()
{
	if (!_exited && _pid > 0)
	{
		// As an operator would: SIGTERM, so that execd stops what it started (the
		// Jupyter server and its kernels); SIGKILL only if it does not exit in time.
		::kill(_pid, SIGTERM);
		auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
		while (::waitpid(_pid, nullptr, WNOHANG) == 0)
		{
			if (std::chrono::steady_clock::now() > deadline)
			{
				::kill(_pid, SIGKILL);
				::waitpid(_pid, nullptr, 0);
				break;
			}
			std::this_thread::sleep_for(std::chrono::milliseconds(10));
		}
	}
	try
	{
		Poco::File(_dir).remove(true);
	}
	catch (...)
	{
	}
}


void ExecdProcess::start(const Options& options)
{
	char dirTemplate[] = "/tmp/execd-test-XXXXXX";
	if (!::mkdtemp(dirTemplate)) throw std::runtime_error("mkdtemp failed");
	_dir = dirTemplate;
	std::string propertiesPath = _dir + "/execd.properties";
	std::string portFile = _dir + "/port";
	_outputPath = _dir + "/output.log";
	{
		std::ofstream props(propertiesPath);
		props << "execd.port = 0\n";
		props << "execd.portFile = " << portFile << "\n";
		if (options.testModules)
			props << "execd.modules.path = " << testModuleDir() << "\n";
		for (const std::string& line: options.properties)
			props << line << "\n";
	}

	std::vector<std::string> args = environmentWrapper();
	args.insert(args.end(), options.wrapper.begin(), options.wrapper.end());
	args.insert(args.end(), {binary(), "--config", propertiesPath});
	args.insert(args.end(), options.args.begin(), options.args.end());
	std::vector<char*> argv;
	for (std::string& a: args) argv.push_back(const_cast<char*>(a.c_str()));
	argv.push_back(nullptr);

	std::map<std::string, std::string> env;
	for (char** e = environ; *e; ++e)
	{
		const char* eq = std::strchr(*e, '=');
		if (eq) env[std::string(*e, static_cast<std::size_t>(eq - *e))] = eq + 1;
	}
	// The test's own environment must not leak settings into execd.
	for (const char* name: {"EXECD_ACCESS_TOKEN", "JUPYTER_HOST", "JUPYTER_TOKEN", "EXECD_API_GRACE_SHUTDOWN",
		"EXECD_LOG_FILE", "EXECD_CLONE3_COMPAT", "_EXECD_CLONE3_COMPAT_APPLIED", "EXECD_CONFIG", "EXECD_JUPYTER_IDLE_POLL_INTERVAL", "OPENSANDBOX_LOG_OUTPUT"})
		env.erase(name);
	for (const auto& kv: options.env)
		env[kv.first] = kv.second;
	std::vector<std::string> envStrings;
	for (const auto& kv: env) envStrings.push_back(kv.first + "=" + kv.second);
	std::vector<char*> envp;
	for (std::string& s: envStrings) envp.push_back(const_cast<char*>(s.c_str()));
	envp.push_back(nullptr);

	posix_spawn_file_actions_t actions;
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&actions, 1, _outputPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_adddup2(&actions, 1, 2);
	posix_spawnattr_t attr;
	posix_spawnattr_init(&attr);
	sigset_t none;
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
	int rc = posix_spawn(&_pid, argv[0], &actions, &attr, argv.data(), envp.data());
	posix_spawn_file_actions_destroy(&actions);
	posix_spawnattr_destroy(&attr);
	if (rc != 0) throw std::runtime_error(std::string("cannot start execd: ") + std::strerror(rc));

	if (!options.waitReady) return;
	auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
	while (std::chrono::steady_clock::now() < deadline)
	{
		std::ifstream in(portFile);
		int port = 0;
		if (in >> port && port > 0)
		{
			_port = port;
			return;
		}
		int status = 0;
		if (::waitpid(_pid, &status, WNOHANG) == _pid)
		{
			_exited = true;
			throw std::runtime_error("execd exited during startup:\n" + output());
		}
		std::this_thread::sleep_for(std::chrono::milliseconds(5));
	}
	throw std::runtime_error("execd did not become ready:\n" + output());
}


int ExecdProcess::port() const
{
	return _port;
}


pid_t ExecdProcess::pid() const
{
	return _pid;
}


bool ExecdProcess::waitExit(std::chrono::milliseconds timeout, int& status)
{
	if (_exited) return true;
	auto deadline = std::chrono::steady_clock::now() + timeout;
	while (true)
	{
		int raw = 0;
		if (::waitpid(_pid, &raw, WNOHANG) == _pid)
		{
			_exited = true;
			status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
			return true;
		}
		if (std::chrono::steady_clock::now() >= deadline) return false;
		std::this_thread::sleep_for(std::chrono::milliseconds(2));
	}
}


int ExecdProcess::stop(std::chrono::milliseconds timeout, int signal)
{
	if (_exited) return -1;
	::kill(_pid, signal);
	int status = 0;
	if (waitExit(timeout, status)) return status;
	::kill(_pid, SIGKILL);
	::waitpid(_pid, nullptr, 0);
	_exited = true;
	return -1;
}


bool ExecdProcess::running()
{
	if (_exited) return false;
	int raw = 0;
	if (::waitpid(_pid, &raw, WNOHANG) == _pid)
	{
		_exited = true;
		return false;
	}
	return true;
}


std::string ExecdProcess::output() const
{
	std::ifstream in(_outputPath);
	std::stringstream ss;
	ss << in.rdbuf();
	return ss.str();
}


int ExecdProcess::runToExit(const Options& options, std::string& output, std::chrono::milliseconds timeout)
{
	Options o = options;
	o.waitReady = false;
	ExecdProcess process(o);
	int status = 0;
	if (!process.waitExit(timeout, status))
	{
		process.stop();
		output = process.output();
		return -1;
	}
	output = process.output();
	return status;
}


void Tokens::addTo(ExecdProcess::Options& options)
{
	options.env["EXECD_ACCESS_TOKEN"] = ENV_ACCESS;
	options.env["JUPYTER_TOKEN"] = ENV_JUPYTER;
	options.args.push_back("--access-token");
	options.args.push_back(FLAG);
}


std::map<std::string, std::string> Tokens::header()
{
	return {{"X-EXECD-ACCESS-TOKEN", FLAG}};
}


std::string Tokens::leaked(const std::string& text)
{
	for (const std::string& secret: {FLAG, ENV_ACCESS, ENV_JUPYTER})
	{
		if (text.find(secret) != std::string::npos) return secret;
	}
	return "";
}


} } // namespace execd::test
