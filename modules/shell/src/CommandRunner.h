#pragma once

#include "execd/FloodGate.h"
#include "CommandRegistry.h"
#include "CommandRequest.h"
#include "execd/EventSink.h"
#include "execd/Executor.h"
#include "execd/Subprocess.h"
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>


namespace execd {
namespace shell {


struct ShellSettings
	/// Settings under module.shell (see etc/execd.properties).
{
	std::string shell;                                  ///< "" = bash from PATH, else /bin/sh
	std::chrono::milliseconds killGrace{3000};          ///< SIGTERM -> SIGKILL on interrupt
	std::string spoolDirectory;                         ///< "" = $TMPDIR or /tmp
	std::size_t keepFinishedCommands = 1000;
	std::chrono::milliseconds keepFinishedFor{24 * 3600 * 1000};
	std::size_t readChunkBytes = 64 * 1024;
	std::chrono::milliseconds stdinStall{30000};         ///< a stdin write's longest wait for room in the pipe
	FloodGate::Limits flood;                            ///< maxStreamBytes, maxEventsPerSecond, floodTailBytes: off by default
};


class CommandRunner
	/// Runs shell commands: in the foreground, streaming their output as events, or
	/// in the background, spooling it to a file. Both kinds are registered, can be
	/// interrupted by id and are killed on timeout, as whole process groups.
{
public:
	explicit CommandRunner(const ShellSettings& settings);
	~CommandRunner();

	void runForeground(const CommandRequest& request, EventSink& client);
	void runBackground(const CommandRequest& request, EventSink& sink);

	CommandRegistry& registry();
	const ShellSettings& settings() const;

	bool interrupt(const std::string& id);

	void shutdown();
		/// Kills every running command; foreground streams end with their final
		/// event, background commands are reaped.

private:
	struct Watched
	{
		Subprocess child;
		std::string id;
		std::chrono::steady_clock::time_point deadline;
		bool hasDeadline = false;
		bool killed = false;
		ResourceGroup::Ptr group;   ///< "limits": ends (killing what is left) when the command is reaped
	};

	Subprocess::Options spawnOptions(const CommandRequest& request, const ResourceGroup::Ptr& pGroup) const;
	static std::shared_ptr<CommandInput> takeInput(Subprocess& child);
	void watch(Watched watched);
	void watchLoop();

	ShellSettings _settings;
	CommandRegistry _registry;
	std::mutex _mutex;
	std::condition_variable _cv;
	std::vector<Watched> _watched;
	bool _stopping = false;
	int _wakeFd = -1;
	std::thread _watcher;
};


class ForegroundExecutor: public Executor
	/// Mode "command": POST /code without a language, and POST /command.
{
public:
	explicit ForegroundExecutor(CommandRunner& runner);
	void run(const ExecRequest& request, EventSink& sink) override;
	bool interrupt(const std::string& id) override;

private:
	CommandRunner& _runner;
};


class BackgroundExecutor: public Executor
	/// Mode "background-command".
{
public:
	explicit BackgroundExecutor(CommandRunner& runner);
	void run(const ExecRequest& request, EventSink& sink) override;

private:
	CommandRunner& _runner;
};


std::string newCommandId();
	/// A UUIDv4 as 32 lowercase hex digits, without dashes.


} } // namespace execd::shell
