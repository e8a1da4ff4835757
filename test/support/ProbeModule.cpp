// Test-only modules, built into test/modules/ and loaded by the integration tests.
// ProbeModule exercises the module API the way a real backend does; the others
// exist to fail in each way a module can fail at startup.

#include "execd/ApiException.h"
#include "execd/Http.h"
#include "execd/JsonHandler.h"
#include "execd/Module.h"
#include "execd/Process.h"
#include "execd/StreamHandler.h"
#include "Poco/ClassLibrary.h"
#include "Poco/JSON/Object.h"
#include "Poco/UUIDGenerator.h"
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>


namespace execd {
namespace test {


class SleepyExecutor: public CodeExecutor
	/// Language "sleepy": the code is a number of milliseconds to wait. Emits init
	/// and "started", waits, then "done" and execution_complete. An interrupt or
	/// shutdown ends the wait early with an error event, as a kernel would.
{
public:
	ContextInfo createContext(const std::string& language, const std::string& cwd) override
	{
		std::lock_guard<std::mutex> lock(_mutex);
		ContextInfo info{Poco::UUIDGenerator::defaultGenerator().createRandom().toString(), language, cwd};
		_contexts[info.id] = Context{info, false, false};
		return info;
	}

	std::vector<ContextInfo> listContexts() override
	{
		std::lock_guard<std::mutex> lock(_mutex);
		std::vector<ContextInfo> result;
		for (const auto& c: _contexts) result.push_back(c.second.info);
		return result;
	}

	std::optional<ContextInfo> findContext(const std::string& id) override
	{
		std::lock_guard<std::mutex> lock(_mutex);
		auto it = _contexts.find(id);
		if (it == _contexts.end()) return std::nullopt;
		return it->second.info;
	}

	bool deleteContext(const std::string& id) override
	{
		std::lock_guard<std::mutex> lock(_mutex);
		auto it = _contexts.find(id);
		if (it == _contexts.end()) return false;
		it->second.interrupted = true;
		_contexts.erase(it);
		_cv.notify_all();
		return true;
	}

	void run(const ExecRequest& request, EventSink& sink) override
	{
		long millis = std::stol(request.code);
		std::string id = request.contextId;
		{
			std::lock_guard<std::mutex> lock(_mutex);
			if (id.empty())
			{
				if (_defaultId.empty() || !_contexts.count(_defaultId))
				{
					_defaultId = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
					_contexts[_defaultId] = Context{ContextInfo{_defaultId, request.language, ""}, false, false};
				}
				id = _defaultId;
			}
			if (_contexts[id].running)
				throw ApiException::runtimeError("error running codes session is busy");
			_contexts[id].running = true;
			_contexts[id].interrupted = false;
		}
		auto started = std::chrono::steady_clock::now();
		sink.emit(StreamEvent::init(id));
		sink.emit(StreamEvent::stdoutText("started"));
		std::unique_lock<std::mutex> lock(_mutex);
		bool ended = _cv.wait_for(lock, std::chrono::milliseconds(millis), [&] { return _stopping || !_contexts.count(id) || _contexts[id].interrupted; });
		bool stopping = _stopping;
		if (_contexts.count(id)) _contexts[id].running = false;
		lock.unlock();
		if (ended)
		{
			sink.emit(StreamEvent::status("error"));
			sink.emit(StreamEvent::failure(ErrorDetail{stopping ? "Shutdown" : "KeyboardInterrupt", "", {}, false}));
		}
		else
		{
			sink.emit(StreamEvent::stdoutText("done"));
		}
		auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
		sink.emit(StreamEvent::complete(ms));
	}

	bool interrupt(const std::string& id) override
	{
		std::lock_guard<std::mutex> lock(_mutex);
		auto it = _contexts.find(id);
		if (it == _contexts.end()) return false;
		if (!it->second.running) throw Poco::IllegalStateException("context " + id + " is not running");
		it->second.interrupted = true;
		_cv.notify_all();
		return true;
	}

	void stop()
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_stopping = true;
		_cv.notify_all();
	}

private:
	struct Context
	{
		ContextInfo info;
		bool running;
		bool interrupted;
	};
	std::mutex _mutex;
	std::condition_variable _cv;
	std::map<std::string, Context> _contexts;
	std::string _defaultId;
	bool _stopping = false;
};


class EchoCommandExecutor: public Executor
	/// Modes "command" and "background-command" for dispatcher tests: echoes the
	/// command line as stdout, with the mode in front.
{
public:
	explicit EchoCommandExecutor(std::string mode):
		_mode(std::move(mode))
	{
	}

	void run(const ExecRequest& request, EventSink& sink) override
	{
		sink.emit(StreamEvent::init(Poco::UUIDGenerator::defaultGenerator().createRandom().toString()));
		sink.emit(StreamEvent::stdoutText(_mode + ":" + request.code));
		sink.emit(StreamEvent::complete(1));
	}

private:
	std::string _mode;
};


class Clone3Handler: public JsonHandler
	/// GET /test/clone3: forks a child that calls clone3(NULL, 0) and reports errno.
{
public:
	using JsonHandler::JsonHandler;

protected:
	void handle(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& response) override
	{
		Process::SpawnGuard guard;
		pid_t pid = ::fork();
		if (pid == 0)
		{
			Process::resetSignalsInChild();
			long rc = ::syscall(435 /* clone3 */, nullptr, 0);
			::_exit(rc == -1 ? errno : 0);
		}
		Process::own(pid);
		int status = 0;
		::waitpid(pid, &status, 0);
		Process::disown(pid);
		Poco::JSON::Object::Ptr pResult = new Poco::JSON::Object;
		int err = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		pResult->set("errno", err);
		pResult->set("enosys", err == ENOSYS);
		Http::sendJson(response, Poco::Dynamic::Var(pResult));
	}
};


class ChildSignalsHandler: public JsonHandler
	/// GET /test/child-signals: the SigBlk and SigIgn lines of a child started the
	/// way modules are told to start them.
{
public:
	using JsonHandler::JsonHandler;

protected:
	void handle(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& response) override
	{
		int fds[2];
		if (::pipe(fds) != 0) throw Poco::SystemException("pipe");
		Process::SpawnGuard guard;
		pid_t pid = ::fork();
		if (pid == 0)
		{
			Process::resetSignalsInChild();
			::dup2(fds[1], 1);
			::close(fds[0]);
			::execl("/bin/grep", "grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status", static_cast<char*>(nullptr));
			::_exit(127);
		}
		Process::own(pid);
		::close(fds[1]);
		std::string out;
		char buffer[512];
		ssize_t n;
		while ((n = ::read(fds[0], buffer, sizeof(buffer))) > 0) out.append(buffer, static_cast<std::size_t>(n));
		::close(fds[0]);
		::waitpid(pid, nullptr, 0);
		Process::disown(pid);
		Poco::JSON::Object::Ptr pResult = new Poco::JSON::Object;
		pResult->set("status", out);
		Http::sendJson(response, Poco::Dynamic::Var(pResult));
	}
};


class ConfigHandler: public JsonHandler
	/// GET /test/config: the settings the module read at startup.
{
public:
	ConfigHandler(const RouteMatch& match, std::string greeting):
		JsonHandler(match),
		_greeting(std::move(greeting))
	{
	}

protected:
	void handle(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& response) override
	{
		Poco::JSON::Object::Ptr pResult = new Poco::JSON::Object;
		pResult->set("greeting", _greeting);
		pResult->set("environment", std::string(std::getenv("EXECD_ACCESS_TOKEN") ? "token-visible" : "token-hidden"));
		Http::sendJson(response, Poco::Dynamic::Var(pResult));
	}

private:
	std::string _greeting;
};


class SampleStreamHandler: public StreamHandler
	/// GET /test/stream: a fixed sequence of events with awkward text, for pinning
	/// the exact bytes. ?fail=1 throws after init.
{
public:
	using StreamHandler::StreamHandler;

protected:
	void stream(Poco::Net::HTTPServerRequest& request, SseWriter& sink) override
	{
		QueryParams query(request);
		if (query.get("early", "") == "1")
			throw ApiException::badRequest("refused before the first event");
		StreamEvent init = StreamEvent::init("abc");
		init.timestamp = 1767607200000;
		sink.emit(init);
		if (query.get("fail", "") == "1")
			throw ApiException::runtimeError("error running codes session is busy");
		StreamEvent out = StreamEvent::stdoutText("a\"b\\c\n\t<&> \x01 \xE2\x80\xA8 \xFF ok \xC3\xA9");
		out.timestamp = 1767607200001;
		sink.emit(out);
		Poco::JSON::Object::Ptr pResults = new Poco::JSON::Object;
		pResults->set("text", "2");
		pResults->set("image/png", "iVBOR");
		StreamEvent result = StreamEvent::result(pResults);
		result.timestamp = 1767607200002;
		sink.emit(StreamEvent::count(3));
		sink.emit(result);
		StreamEvent error = StreamEvent::failure(ErrorDetail{"CommandExecError", "3", {"exit status 3"}, false});
		error.timestamp = 1767607200003;
		sink.emit(error);
		StreamEvent nullTrace = StreamEvent::failure(ErrorDetail{"DBError", "x", {}, true});
		nullTrace.timestamp = 1767607200004;
		sink.emit(nullTrace);
		StreamEvent complete = StreamEvent::complete(0);
		complete.timestamp = 1767607200005;
		sink.emit(complete);
	}
};


class ProbeModule: public Module
{
public:
	std::string name() const override
	{
		return "probe";
	}

	void configure(ModuleContext& context) override
	{
		_greeting = context.settings().getString("greeting", "hello");
		_sleepy = std::make_unique<SleepyExecutor>();
		_command = std::make_unique<EchoCommandExecutor>("command");
		_background = std::make_unique<EchoCommandExecutor>("background-command");
	}

	std::vector<Route> routes() override
	{
		std::string greeting = _greeting;
		return {
			{"GET", "/test/clone3", [](const RouteMatch& m) { return std::make_unique<Clone3Handler>(m); }},
			{"GET", "/test/child-signals", [](const RouteMatch& m) { return std::make_unique<ChildSignalsHandler>(m); }},
			{"GET", "/test/config", [greeting](const RouteMatch& m) { return std::make_unique<ConfigHandler>(m, greeting); }},
			{"GET", "/test/stream", [](const RouteMatch& m) { return std::make_unique<SampleStreamHandler>(m); }},
			{"GET", "/test/items/{id}", [](const RouteMatch& m) { return std::make_unique<SampleStreamHandler>(m); }},
		};
	}

	std::vector<ExecutorBinding> executors() override
	{
		return {
			ExecutorBinding::code("sleepy", *_sleepy),
			ExecutorBinding::code("sleepy2", *_sleepy),
			ExecutorBinding::command("command", *_command),
			ExecutorBinding::command("background-command", *_background),
		};
	}

	void shutdown() override
	{
		_sleepy->stop();
	}

private:
	std::string _greeting;
	std::unique_ptr<SleepyExecutor> _sleepy;
	std::unique_ptr<EchoCommandExecutor> _command;
	std::unique_ptr<EchoCommandExecutor> _background;
};


} } // namespace execd::test


POCO_BEGIN_MANIFEST(execd::Module)
	POCO_EXPORT_CLASS(execd::test::ProbeModule)
POCO_END_MANIFEST
