#pragma once

#include "execd/EventSink.h"
#include "execd/ResourceLimits.h"
#include "Poco/JSON/Object.h"
#include <optional>
#include <string>
#include <vector>


namespace execd {


struct EXECD_API ExecRequest
	/// What a client asked to run.
{
	std::string code;        ///< the code, or the command line for command executors
	std::string language;    ///< the context language as sent ("" for a plain command)
	std::string contextId;   ///< "" = the language's default context
	Poco::JSON::Object::Ptr body;   ///< the whole request body, for executor-specific fields
};


struct EXECD_API ContextInfo
	/// A code context as clients see it.
{
	std::string id;
	std::string language;
	std::string cwd;   ///< "" when none was given
};


class EXECD_API Executor
	/// Runs code or commands and streams their events.
{
public:
	virtual ~Executor();

	virtual void run(const ExecRequest& request, EventSink& sink) = 0;
		/// Blocks until the execution is done. The first event is "init" with the id
		/// clients use for interrupts. Throws ApiException only before the first
		/// event; later failures become an "error" event (or, where upstream does so,
		/// a trailing JSON error after the last event, by throwing ApiException after
		/// the first event).

	virtual bool interrupt(const std::string& id);
		/// Interrupts the execution or context with that id. Returns false when the
		/// id is not this executor's (the default). Throws Poco::Exception, whose
		/// message is shown to the client, when the id is known but cannot be
		/// interrupted (for example: not running).

	virtual bool emitsLines() const;
		/// True when each stdout or stderr event is one line without its line end,
		/// as the shell's are (upstream's framing); false (the default) when events
		/// are pieces of the output with their own line ends, as a kernel's are.
		/// A flood policy's spill file writes the former one per line.
};


class EXECD_API CodeExecutor: public Executor
	/// An executor for one or more code languages, with stateful contexts.
	/// All methods may be called concurrently from request threads.
{
public:
	~CodeExecutor() override;

	virtual ContextInfo createContext(const std::string& language, const std::string& cwd) = 0;
		/// Creates a context. Throws Poco::Exception with the cause on failure.

	virtual ContextInfo createLimitedContext(const std::string& language, const std::string& cwd, const ResourceGroup::Ptr& pGroup);
		/// Creates a context whose processes all run in pGroup (never null), which
		/// the context keeps until it ends: POST /code/context with "limits". The
		/// default throws ApiException 400 LIMITS_UNAVAILABLE, "<language>
		/// contexts cannot run under resource limits".

	virtual std::vector<ContextInfo> listContexts() = 0;
		/// Every live context of this executor, default contexts included.

	virtual std::optional<ContextInfo> findContext(const std::string& id) = 0;

	virtual bool deleteContext(const std::string& id) = 0;
		/// Deletes the context. Returns false when the id is unknown; throws
		/// Poco::Exception with the cause when deleting fails.
};


struct EXECD_API ExecutorKey
	/// Executors are found by kind and name: kind "code" with a language name such
	/// as "python", or kind "command" with a mode: "command", "background-command".
{
	std::string kind;
	std::string name;

	static constexpr const char* CODE = "code";
	static constexpr const char* COMMAND = "command";

	bool operator < (const ExecutorKey& other) const;
	bool operator == (const ExecutorKey& other) const;
	std::string toString() const;   ///< "code:python"
};


struct EXECD_API ExecutorBinding
	/// An executor a module contributes. The module owns the executor and keeps it
	/// alive until the module is destroyed (after every request thread is done).
{
	ExecutorKey key;
	Executor* pExecutor = nullptr;
	CodeExecutor* pCodeExecutor = nullptr;   ///< set for kind "code"

	static ExecutorBinding code(const std::string& language, CodeExecutor& executor);
	static ExecutorBinding command(const std::string& mode, Executor& executor);
};


} // namespace execd
