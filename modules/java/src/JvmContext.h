#pragma once

#include "JavaSettings.h"
#include "execd/EventSink.h"
#include "execd/OutputPump.h"
#include "execd/RunUsage.h"
#include "execd/Subprocess.h"
#include <chrono>
#include <mutex>
#include <string>


namespace execd {
namespace java {


class JvmContext
	/// One JShell in one JVM, running execd's runner (ExecdJShell) with requests
	/// on fd 3 and replies on fd 4 (see JShellReply). Runs are serialised; an
	/// interrupt may come from any thread.
{
public:
	JvmContext(std::string id, std::string cwd, const JavaSettings& settings, ResourceGroup::Ptr pGroup = nullptr);
		/// With pGroup, the JVM (and a restarted one) runs in that ResourceGroup.
		/// Starts nothing yet (see start()). settings must outlive the context.

	const std::string& id() const;
	const std::string& cwd() const;   ///< the JVM's working directory; "" = execd's cwd

	void start();
		/// Starts the JVM and waits for the runner's READY (settings.startTimeout).
		/// Throws Poco::RuntimeException "the JVM did not start: <its stderr>" when
		/// it does not come.

	void run(const std::string& code, EventSink& sink);
		/// Runs the code in JShell: init, the JVM's output, a result per value, an
		/// error event for an exception, then execution_complete. A JVM that has
		/// ended is started again first (with a note on stderr: its state is lost);
		/// one that dies during the run is reported as "JvmDied". Throws
		/// ApiException 500 when the context is busy or the JVM cannot be started.

	void interrupt();
		/// Asks the runner to stop the run under way (STOP).

	void stop();
		/// Kills the JVM and waits for it.

private:
	bool awaitReady(std::string& errors);
		/// True once the runner said READY; else errors holds the start of the JVM's stderr.
	bool readControl();
		/// What fd 4 has now, appended to _pending; false at its end.
	bool takeReplies(OutputPump& pump, EventSink& sink);
		/// Sends the results and errors of the whole replies in _pending; true at DONE.
	void died(OutputPump& pump, EventSink& sink, std::chrono::steady_clock::time_point begin, const RunMeter* pMeter);
		/// Ends a run whose JVM died; pMeter, when the client reads the outcome.
	bool writeRequest(const std::string& request);
		/// Whole: a STOP must not land inside a long RUN that is still being written.
	static bool writeAll(int fd, const std::string& data);

	std::string _id;
	std::string _cwd;
	const JavaSettings& _settings;
	ResourceGroup::Ptr _pGroup;
	std::mutex _runMutex;
	std::mutex _processMutex;
	std::mutex _writeMutex;
	Subprocess _process;
	std::string _pending;                 // reply bytes read, not yet a whole reply
	int _count = 0;
	bool _started = false;
	bool _failed = false;   ///< the run now going on sent an error
};


} } // namespace execd::java
