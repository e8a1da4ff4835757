// The java language: stateful contexts in long-lived JVMs driving JShell.
// Uses only the public module API (include/execd), like any out-of-tree module.

#include "execd/ApiException.h"
#include "execd/ContextTable.h"
#include "execd/Executor.h"
#include "execd/Module.h"
#include "execd/Paths.h"
#include "execd/StreamEvent.h"
#include "execd/Subprocess.h"
#include "Poco/ClassLibrary.h"
#include "Poco/UUIDGenerator.h"
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <map>
#include <mutex>
#include <poll.h>
#include <sys/wait.h>
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


long long millisSince(std::chrono::steady_clock::time_point start)
{
	return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
}


std::string defaultJava()
	/// $JAVA_HOME/bin/java, else java on the PATH (eclipse-temurin has both),
	/// else Debian's /usr/bin/java.
{
	const char* home = std::getenv("JAVA_HOME");
	if (home && *home && ::access((std::string(home) + "/bin/java").c_str(), X_OK) == 0) return std::string(home) + "/bin/java";
	std::string java = Paths::findExecutable("java", {"/usr/bin/java"});
	return java.empty() ? std::string("/usr/bin/java") : java;
}


struct Settings
{
	std::string java = "/usr/bin/java";
	std::string classPath;
	std::vector<std::string> jvmOptions{"-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xss4m", "-Xshare:auto"};
	std::chrono::milliseconds startTimeout{20000};
};


class JvmContext
	/// One JShell in one JVM. Runs are serialised; an interrupt may come from any thread.
{
public:
	JvmContext(std::string id, std::string cwd, const Settings& settings):
		_id(std::move(id)),
		_cwd(std::move(cwd)),
		_settings(settings)
	{
	}

	const std::string& id() const { return _id; }
	const std::string& cwd() const { return _cwd; }

	void start()
	{
		std::lock_guard<std::mutex> lock(_processMutex);
		Subprocess::Options o;
		o.argv = {_settings.java};
		for (const auto& opt: _settings.jvmOptions) o.argv.push_back(opt);
		o.argv.insert(o.argv.end(), {"-cp", _settings.classPath, "ExecdJShell"});
		o.env = Subprocess::environment();
		o.cwd = _cwd;
		o.control = true;
		_process.start(o);
		std::string line;
		if (!readReply(line, std::chrono::steady_clock::now() + _settings.startTimeout) || line != "READY")
		{
			_process.signalGroup(SIGKILL);
			_process.wait();
			throw Poco::RuntimeException("the JVM did not start: " + (_stderr.empty() ? std::string("no answer") : _stderr));
		}
		_stderr.clear();
	}

	void run(const std::string& code, EventSink& sink)
	{
		std::unique_lock<std::mutex> runLock(_runMutex, std::try_to_lock);
		if (!runLock.owns_lock()) throw ApiException::runtimeError("error running codes session is busy");
		bool restarted = false;
		if (!_process.running())
		{
			try
			{
				start();
				restarted = true;
			}
			catch (Poco::Exception& exc)
			{
				throw ApiException::runtimeError("error running codes " + exc.message());
			}
		}
		auto begin = std::chrono::steady_clock::now();
		sink.emit(StreamEvent::init(_id));
		if (restarted && _started)
			sink.emit(StreamEvent::stderrText("[execd] the JVM of this context had ended; this run starts a fresh one and earlier state is lost\n"));
		_started = true;
		std::string request = "RUN " + std::to_string(code.size()) + "\n" + code;
		if (!writeRequest(request))
		{
			died(sink, begin);
			return;
		}
		std::string pending;   // control bytes not yet a whole reply
		for (;;)
		{
			struct pollfd fds[3] = {{_process.output(), POLLIN, 0}, {_process.errors(), POLLIN, 0}, {_process.controlOut(), POLLIN, 0}};
			int ready = ::poll(fds, 3, 250);
			if (ready < 0 && errno == EINTR) continue;
			if (fds[0].revents) forward(_process.output(), sink, false);
			if (fds[1].revents) forward(_process.errors(), sink, true);
			if (fds[2].revents)
			{
				char buffer[65536];
				ssize_t n = ::read(_process.controlOut(), buffer, sizeof(buffer));
				if (n <= 0)
				{
					died(sink, begin);
					return;
				}
				pending.append(buffer, static_cast<std::size_t>(n));
				bool done = false;
				while (parse(pending, sink, done))
				{
				}
				if (done)
				{
					// Output written before the reply is in the pipes already.
					drain(_process.output(), sink, false);
					drain(_process.errors(), sink, true);
					sink.emit(StreamEvent::complete(millisSince(begin)));
					return;
				}
			}
			int status;
			if (ready == 0 && _process.tryReap(status))
			{
				died(sink, begin);
				return;
			}
		}
	}

	void interrupt()
	{
		writeRequest("STOP\n");
	}

	void stop()
	{
		std::lock_guard<std::mutex> lock(_processMutex);
		if (_process.running())
		{
			_process.signalGroup(SIGKILL);
			_process.wait();
		}
	}

private:
	bool parse(std::string& pending, EventSink& sink, bool& done)
		/// One whole reply from pending, if there is one.
	{
		std::size_t eol = pending.find('\n');
		if (eol == std::string::npos) return false;
		std::string head = pending.substr(0, eol);
		if (head.rfind("DONE ", 0) == 0)
		{
			pending.erase(0, eol + 1);
			_count = std::atoi(head.c_str() + 5);
			done = true;
			return false;
		}
		std::size_t space = head.find(' ');
		if (space == std::string::npos)
		{
			pending.erase(0, eol + 1);
			return true;
		}
		std::size_t length = static_cast<std::size_t>(std::atoll(head.c_str() + space + 1));
		if (pending.size() < eol + 1 + length) return false;
		std::string body = pending.substr(eol + 1, length);
		pending.erase(0, eol + 1 + length);
		if (head.rfind("RESULT ", 0) == 0)
		{
			drain(_process.output(), sink, false);
			drain(_process.errors(), sink, true);
			sink.emit(StreamEvent::count(_count + 1));
			Poco::JSON::Object::Ptr results = new Poco::JSON::Object;
			results->set("text", body);
			sink.emit(StreamEvent::result(results));
		}
		else if (head.rfind("ERROR ", 0) == 0)
		{
			drain(_process.output(), sink, false);
			drain(_process.errors(), sink, true);
			ErrorDetail detail;
			std::size_t a = body.find('\n');
			detail.ename = body.substr(0, a);
			std::size_t b = body.find('\n', a + 1);
			std::size_t valueLength = static_cast<std::size_t>(std::atoll(body.c_str() + a + 1));
			detail.evalue = body.substr(b + 1, valueLength);
			std::string trace = body.substr(b + 1 + valueLength);
			std::size_t pos = 0;
			while (pos < trace.size())
			{
				std::size_t end = trace.find('\n', pos);
				if (end == std::string::npos) end = trace.size();
				detail.traceback.push_back(trace.substr(pos, end - pos));
				pos = end + 1;
			}
			sink.emit(StreamEvent::status("error"));
			sink.emit(StreamEvent::failure(detail));
		}
		return true;
	}

	void forward(int fd, EventSink& sink, bool error)
	{
		char buffer[65536];
		ssize_t n = ::read(fd, buffer, sizeof(buffer));
		if (n > 0)
		{
			std::string text(buffer, static_cast<std::size_t>(n));
			sink.emit(error ? StreamEvent::stderrText(text) : StreamEvent::stdoutText(text));
		}
	}

	void drain(int fd, EventSink& sink, bool error)
	{
		for (;;)
		{
			struct pollfd p{fd, POLLIN, 0};
			if (::poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN)) return;
			char buffer[65536];
			ssize_t n = ::read(fd, buffer, sizeof(buffer));
			if (n <= 0) return;
			std::string text(buffer, static_cast<std::size_t>(n));
			sink.emit(error ? StreamEvent::stderrText(text) : StreamEvent::stdoutText(text));
		}
	}

	void died(EventSink& sink, std::chrono::steady_clock::time_point begin)
	{
		drain(_process.output(), sink, false);
		drain(_process.errors(), sink, true);
		_process.signalGroup(SIGKILL);
		int status = _process.wait();
		std::string how = WIFSIGNALED(status) ? "was killed by signal " + std::to_string(WTERMSIG(status)) : "exited with status " + std::to_string(WEXITSTATUS(status));
		sink.emit(StreamEvent::status("error"));
		sink.emit(StreamEvent::failure(ErrorDetail{"JvmDied", "the JVM of this context " + how + "; the next run starts a fresh one", {}, false}));
		sink.emit(StreamEvent::complete(millisSince(begin)));
	}

	bool readReply(std::string& line, std::chrono::steady_clock::time_point deadline)
	{
		std::string buffer;
		while (std::chrono::steady_clock::now() < deadline)
		{
			struct pollfd fds[2] = {{_process.controlOut(), POLLIN, 0}, {_process.errors(), POLLIN, 0}};
			if (::poll(fds, 2, 100) <= 0) continue;
			if (fds[1].revents)
			{
				char b[4096];
				ssize_t n = ::read(_process.errors(), b, sizeof(b));
				if (n > 0 && _stderr.size() < 4096) _stderr.append(b, static_cast<std::size_t>(n));
			}
			if (fds[0].revents)
			{
				char c;
				ssize_t n = ::read(_process.controlOut(), &c, 1);
				if (n <= 0) return false;
				if (c == '\n')
				{
					line = buffer;
					return true;
				}
				buffer += c;
			}
		}
		return false;
	}

	bool writeRequest(const std::string& request)
		/// Whole: a STOP must not land inside a long RUN that is still being written.
	{
		std::lock_guard<std::mutex> lock(_writeMutex);
		return writeAll(_process.controlIn(), request);
	}

	static bool writeAll(int fd, const std::string& data)
	{
		std::size_t done = 0;
		while (done < data.size())
		{
			ssize_t n = ::write(fd, data.data() + done, data.size() - done);
			if (n < 0 && errno == EINTR) continue;
			if (n <= 0) return false;
			done += static_cast<std::size_t>(n);
		}
		return true;
	}

	std::string _id;
	std::string _cwd;
	const Settings& _settings;
	std::mutex _runMutex;
	std::mutex _processMutex;
	std::mutex _writeMutex;
	Subprocess _process;
	std::string _stderr;
	int _count = 0;
	bool _started = false;
};


class JavaExecutor: public CodeExecutor
{
public:
	explicit JavaExecutor(const Settings& settings):
		_settings(settings)
	{
	}

	ContextInfo createContext(const std::string& language, const std::string& cwd) override
	{
		auto context = create(cwd);
		_contexts.add(context->id(), context);
		return ContextInfo{context->id(), language, cwd};
	}

	std::vector<ContextInfo> listContexts() override
	{
		return _contexts.infos("java");
	}

	std::optional<ContextInfo> findContext(const std::string& id) override
	{
		return _contexts.info(id, "java");
	}

	bool deleteContext(const std::string& id) override
	{
		auto context = _contexts.remove(id);
		if (!context) return false;
		context->stop();
		return true;
	}

	void run(const ExecRequest& request, EventSink& sink) override
	{
		std::shared_ptr<JvmContext> context;
		if (!request.contextId.empty())
		{
			context = _contexts.find(request.contextId);
			if (!context) throw ApiException::runtimeError("error running codes context not found");
		}
		else
		{
			try
			{
				context = _contexts.defaultContext([this] {
					auto c = create("");
					return std::make_pair(c->id(), c);
				});
			}
			catch (Poco::Exception& exc)
			{
				throw ApiException::runtimeError("error running codes cannot create the default java context: " + exc.message());
			}
		}
		context->run(request.code, sink);
	}

	bool interrupt(const std::string& id) override
	{
		auto context = _contexts.find(id);
		if (!context) return false;
		context->interrupt();
		return true;
	}

	void shutdown()
	{
		for (auto& c: _contexts.takeAll()) c.second->stop();
	}

private:
	std::shared_ptr<JvmContext> create(const std::string& cwd)
	{
		if (!cwd.empty()) Paths::createDirectories(cwd);
		auto context = std::make_shared<JvmContext>(Poco::UUIDGenerator::defaultGenerator().createRandom().toString(), cwd, _settings);
		context->start();
		return context;
	}

	const Settings& _settings;
	ContextTable<JvmContext> _contexts;
};


} // namespace


class JavaModule: public Module
	/// Java code contexts: a JVM per context running execd's JShell runner.
{
public:
	std::string name() const override
	{
		return "java";
	}

	void configure(ModuleContext& context) override
	{
		ConfigReader config = context.settings();
		_settings.java = config.getString("java", defaultJava());
		_settings.classPath = config.getString("classPath", moduleDirectory() + "/java");
		_settings.startTimeout = config.getMillis("startTimeoutMillis", _settings.startTimeout, std::chrono::milliseconds(1000), std::chrono::minutes(10));
		_language = config.getString("language", "java");
		if (::access(_settings.java.c_str(), X_OK) != 0)
			context.logger().warning("%s is not executable: java contexts will fail to start", _settings.java);
		_pExecutor = std::make_unique<JavaExecutor>(_settings);
	}

	std::vector<ExecutorBinding> executors() override
	{
		return {ExecutorBinding::code(_language, *_pExecutor)};
	}

	void shutdown() override
	{
		_pExecutor->shutdown();
	}

private:
	Settings _settings;
	std::string _language = "java";
	std::unique_ptr<JavaExecutor> _pExecutor;
};


} } // namespace execd::java


POCO_BEGIN_MANIFEST(execd::Module)
	POCO_EXPORT_CLASS(execd::java::JavaModule)
POCO_END_MANIFEST
