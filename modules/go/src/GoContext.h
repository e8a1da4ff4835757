#pragma once

#include "GoCell.h"
#include "GoSettings.h"
#include "execd/EventSink.h"
#include "execd/RunUsage.h"
#include "execd/Subprocess.h"
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>


namespace execd {
namespace go {


class GoContext
	/// A go context: the imports and top-level declarations of its earlier cells,
	/// and a directory of its own (<workRoot>/execd-go-<id>, with the Go build
	/// cache and GOPATH) that goes with the context. Each run compiles one program
	/// (remembered declarations + the cell, whose statements become the body of
	/// main) and runs it. Runs are serialised; an interrupt may come from any thread.
{
public:
	GoContext(std::string id, std::string cwd, const GoSettings& settings, ResourceGroup::Ptr pGroup = nullptr);
		/// With pGroup, its builds and programs run in that ResourceGroup.
		/// Creates the context's directory; throws Poco::Exception when it cannot.
		/// settings must outlive the context.

	~GoContext();
		/// Removes the context's directory.

	const std::string& id() const;
	const std::string& cwd() const;   ///< where the program runs; "" = execd's cwd

	void run(const std::string& code, EventSink& sink);
		/// Builds and runs the cell: init, the program's output, an error event for
		/// a compile error, a panic or a non-zero exit, then execution_complete.
		/// Declarations are remembered only when the program compiled. Throws
		/// ApiException 500 "error running codes session is busy" while another
		/// run is under way.

	void interrupt();
		/// Kills the build or the program of the run under way (SIGKILL); the run
		/// reports "Interrupted".

	void stop();
		/// The same as interrupt(): the directory goes with the last reference.

private:
	std::string compose(const Cell& cell, std::vector<int>& lineMap);
	void remember(const Cell& cell);
	void compileError(const std::string& output, const std::vector<int>& lineMap, EventSink& sink);
	void interrupted(EventSink& sink, std::chrono::steady_clock::time_point begin);
	struct Usage
		/// What the processes of one run (the build, the program) used, for the
		/// final event's outcome.
	{
		struct rusage total{};
		bool known = false;
		pid_t lastPid = 0;
		std::optional<std::uint64_t> oomKillsBefore;
		const ResourceGroup* pGroup = nullptr;

		void add(const Subprocess& process);
		RunOutcome outcome(int waitStatus) const;
	};

	int execute(const std::vector<std::string>& argv, const std::string& cwd, EventSink* pSink, std::string* pErrors, Usage* pUsage);
		/// Runs a process to its end: its stdout (and stderr) streamed to pSink when
		/// given, its stderr kept in pErrors (first 64 KiB), its usage added to
		/// pUsage when given.
	void complete(EventSink& sink, std::chrono::steady_clock::time_point begin, const Usage* pUsage, int waitStatus);

	std::string _id;
	std::string _cwd;
	const GoSettings& _settings;
	ResourceGroup::Ptr _pGroup;
	std::string _dir;
	std::mutex _runMutex;
	std::mutex _processMutex;
	std::shared_ptr<Subprocess> _pProcess;
	bool _interrupted = false;
	int _count = 0;
	int _anonymous = 0;
	std::vector<std::string> _imports;
	std::vector<std::pair<std::string, std::string>> _decls;   ///< name -> declaration text, in order
};


} } // namespace execd::go
