#pragma once

#include "Poco/JSON/Object.h"
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <string>
#include <sys/types.h>
#include <vector>


namespace execd {
namespace test {


struct HttpResult
	/// A response as it came off the wire.
{
	int status = 0;
	std::string raw;                           ///< every byte received
	std::string head;                          ///< status line and headers, up to the blank line
	std::vector<std::pair<std::string, std::string>> headers;
	std::string body;                          ///< de-chunked
	std::string rawBody;                       ///< as sent (chunk framing included)

	std::string header(const std::string& name) const;   ///< first value, case-insensitive; "" if absent
	bool hasHeader(const std::string& name) const;
};


using DataCallback = std::function<void(const std::string& received)>;

HttpResult rawRequest(int port, const std::string& bytes, std::chrono::milliseconds timeout = std::chrono::seconds(20),
	bool untilClose = false, const DataCallback& onData = nullptr);
	/// Sends bytes as they are on a new connection, then reads one complete
	/// response (by Content-Length or the last chunk), or, with untilClose, until
	/// the server closes the connection; at most until the timeout. onData sees
	/// everything received so far after each read.

HttpResult request(int port, const std::string& method, const std::string& target, const std::string& body = "",
	const std::map<std::string, std::string>& headers = {}, const DataCallback& onData = nullptr);
	/// A well-formed HTTP/1.1 keep-alive request; reads one response.

std::future<HttpResult> startRequest(int port, const std::string& method, const std::string& target, const std::string& body,
	const std::string& marker, std::chrono::milliseconds within = std::chrono::seconds(10));
	/// request() on another thread; returns once the response so far contains
	/// marker (a failed assertion when it does not within the time). The future
	/// gives the whole response.

std::vector<std::string> sseEvents(const std::string& body);
	/// The JSON lines of an SSE body (split on blank lines).

std::string jsonEscape(const std::string& text);
	/// text as it appears inside a JSON string.

std::string quote(const std::string& text);
	/// text as a JSON string, quotes included.

Poco::JSON::Object::Ptr object(const std::string& json);
	/// Parses a JSON object.

std::vector<std::string> withoutPings(const std::vector<std::string>& events);


class ExecdProcess
	/// The real build/bin/execd on a free port, with a properties file of the
	/// test's choosing. Stopped (SIGTERM, then SIGKILL) when destroyed.
{
public:
	struct Options
	{
		std::vector<std::string> properties;           ///< lines of the properties file
		std::vector<std::string> args;                 ///< extra command-line arguments
		std::map<std::string, std::string> env;        ///< extra environment
		bool testModules = true;                       ///< load from the test module directory
		bool waitReady = true;
		std::vector<std::string> wrapper;              ///< runs execd as its command, e.g. unshare --pid ...
	};

	static Options probe(const std::vector<std::string>& properties = {});
		/// Options that load only the test module "probe", plus the given
		/// properties lines.

	static Options modules(const std::string& list);
		/// Options that load the tree's own modules of list ("shell", "shell,
		/// jupyter"), not the test modules.

	explicit ExecdProcess(const Options& options);
	~ExecdProcess();

	int port() const;
	pid_t pid() const;

	int stop(std::chrono::milliseconds timeout = std::chrono::seconds(10), int signal = 15);
		/// Sends the signal and waits; returns the exit status (128+n if killed by
		/// signal n, -1 if it did not exit in time and had to be killed).

	bool waitExit(std::chrono::milliseconds timeout, int& status);

	std::string output() const;
		/// Everything execd wrote to stdout and stderr so far.

	bool running();

	static std::string binary();
		/// build/bin/execd, or $EXECD_TEST_BINARY when set.
	static std::vector<std::string> environmentWrapper();
		/// $EXECD_TEST_WRAPPER split into words: the command every execd of the
		/// tests is started through, before Options::wrapper (none when unset).
	static std::string oldKernelWrapper();
		/// build/bin/execd_oldkernel: runs its command as on Linux 4.18.
	static std::string testModuleDir();
	static std::string moduleDir();

	static ExecdProcess& keep(std::unique_ptr<ExecdProcess>& slot, const Options& options);
		/// The suite's daemon in slot, started (again, if it died) with options:
		/// one execd for a whole suite.

	static int runToExit(const Options& options, std::string& output, std::chrono::milliseconds timeout = std::chrono::seconds(10));
		/// Starts execd and waits for it to exit (for startup failures).

private:
	void start(const Options& options);

	pid_t _pid = -1;
	int _port = 0;
	std::string _dir;
	std::string _outputPath;
	bool _exited = false;
};


namespace Tokens
	/// Secrets for the tests that execd keeps its tokens from user processes.
{
	const std::string FLAG = "flag-secret-13";          ///< --access-token: the token in force
	const std::string ENV_ACCESS = "env-secret-41";     ///< EXECD_ACCESS_TOKEN, overridden by the flag
	const std::string ENV_JUPYTER = "jupyter-secret-97"; ///< JUPYTER_TOKEN

	void addTo(ExecdProcess::Options& options);
		/// Sets both variables and the flag.

	std::map<std::string, std::string> header();
		/// X-EXECD-ACCESS-TOKEN: FLAG.

	std::string leaked(const std::string& text);
		/// The first of the three found in text; "" when none is.
}


} } // namespace execd::test
