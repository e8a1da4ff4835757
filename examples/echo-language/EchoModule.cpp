// The "echo" language: a complete, if useless, execd language backend, built
// outside the execd tree against the installed headers. Running code in an echo
// context streams the code back as stdout, one event per line, and counts runs
// per context like a notebook does.

#include "execd/ApiException.h"
#include "execd/Module.h"
#include "Poco/ClassLibrary.h"
#include "Poco/StringTokenizer.h"
#include "Poco/UUIDGenerator.h"
#include <chrono>
#include <map>
#include <mutex>


namespace example {


class EchoExecutor: public execd::CodeExecutor
{
public:
	explicit EchoExecutor(std::string prefix):
		_prefix(std::move(prefix))
	{
	}

	// execd::CodeExecutor
	execd::ContextInfo createContext(const std::string& language, const std::string& cwd) override
	{
		std::lock_guard<std::mutex> lock(_mutex);
		execd::ContextInfo info{newId(), language, cwd};
		_contexts[info.id] = Context{info, 0};
		return info;
	}

	std::vector<execd::ContextInfo> listContexts() override
	{
		std::lock_guard<std::mutex> lock(_mutex);
		std::vector<execd::ContextInfo> result;
		for (const auto& c: _contexts) result.push_back(c.second.info);
		return result;
	}

	std::optional<execd::ContextInfo> findContext(const std::string& id) override
	{
		std::lock_guard<std::mutex> lock(_mutex);
		auto it = _contexts.find(id);
		if (it == _contexts.end()) return std::nullopt;
		return it->second.info;
	}

	bool deleteContext(const std::string& id) override
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (id == _defaultId) _defaultId.clear();
		return _contexts.erase(id) > 0;
	}

	// execd::Executor
	void run(const execd::ExecRequest& request, execd::EventSink& sink) override
	{
		auto start = std::chrono::steady_clock::now();
		std::string id;
		int count = 0;
		{
			std::lock_guard<std::mutex> lock(_mutex);
			id = request.contextId;
			if (id.empty())
			{
				// The language's default context, created on first use.
				if (_defaultId.empty())
				{
					_defaultId = newId();
					_contexts[_defaultId] = Context{execd::ContextInfo{_defaultId, request.language, ""}, 0};
				}
				id = _defaultId;
			}
			auto it = _contexts.find(id);
			if (it == _contexts.end())
				throw execd::ApiException::runtimeError("error running codes context not found");
			count = ++it->second.runs;
		}
		sink.emit(execd::StreamEvent::init(id));
		Poco::StringTokenizer lines(request.code, "\n");
		for (const std::string& line: lines)
			sink.emit(execd::StreamEvent::stdoutText(_prefix + line));
		sink.emit(execd::StreamEvent::count(count));
		auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
		sink.emit(execd::StreamEvent::complete(ms));
	}

private:
	struct Context
	{
		execd::ContextInfo info;
		int runs;
	};

	static std::string newId()
	{
		return Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
	}

	std::string _prefix;
	std::mutex _mutex;
	std::map<std::string, Context> _contexts;
	std::string _defaultId;
};


class EchoModule: public execd::Module
	/// Settings (module.echo.*):
	///   prefix   text put before every echoed line (default "")
{
public:
	std::string name() const override
	{
		return "echo";
	}

	void configure(execd::ModuleContext& context) override
	{
		_executor = std::make_unique<EchoExecutor>(context.settings().getString("prefix", ""));
		context.logger().information("echo language ready");
	}

	std::vector<execd::ExecutorBinding> executors() override
	{
		return {execd::ExecutorBinding::code("echo", *_executor)};
	}

private:
	std::unique_ptr<EchoExecutor> _executor;
};


} // namespace example


POCO_BEGIN_MANIFEST(execd::Module)
	POCO_EXPORT_CLASS(example::EchoModule)
POCO_END_MANIFEST
