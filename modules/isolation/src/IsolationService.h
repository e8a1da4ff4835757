#pragma once

#include "BwrapProbe.h"
#include "SessionRegistry.h"
#include "Spawner.h"
#include "execd/Http.h"
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <string>


namespace execd {
namespace isolation {


class IsolationService
	/// What the /v1/isolated routes do, apart from HTTP: the probe's capabilities,
	/// and creating, listing, describing and deleting sessions (contract §2.1–§2.5).
	/// Errors are ApiExceptions with the contract's status, code and message.
{
public:
	struct Settings
	{
		std::string upperRoot = "/var/lib/execd/isolation";
		std::vector<std::string> allowedWritable{"/workspace", "/mnt", "/media", "/data"};
		std::chrono::milliseconds gcInterval{60000};
		unsigned long long upperMaxBytes = 8ULL << 30;   ///< overlay creates refused once the uppers hold this much; 0 = no limit
		std::vector<std::string> seccompDeny;            ///< the system calls that fail with EACCES (SeccompProgram::DEFAULT_DENY)
	};

	IsolationService(std::function<Capabilities()> probe, Settings settings);
		/// probe is run by start() (BwrapProbe::run).
	~IsolationService();

	void start();
		/// Probes and prepares (upper root, leftovers, overlay probe, seccomp
		/// program) on a thread of its own; every other call waits until that is done.
	void stop();

	bool usable() const;
		/// The runner exists: the probe found a uid mode and the upper root could be made.

	std::string capabilities() const;
	std::string create(const JsonBody& body);
		/// The 201 body: {"session_id","created_at"}.
	std::string list() const;
	std::string state(const std::string& id) const;
	void remove(const std::string& id);

	std::string diff(const std::string& id);
	std::string commit(const std::string& id);
		/// Beyond upstream (§2.7): an overlay session's changes against the host
		/// workspace, and applying them to it (see Overlay). 503 NOT_SUPPORTED with
		/// upstream's message where no overlay can be mounted; 400 RUNTIME_ERROR for
		/// a session in another workspace mode; a commit waits for a run under way.

	static constexpr std::size_t DIFF_MAX_ENTRIES = 1000000;
		///< the most entries of an upper directory that diff and commit visit (413 past it)

	SessionRegistry& registry();

	static std::string timestamp(std::chrono::system_clock::time_point t);
		/// RFC 3339 in execd's local zone with up to 9 fractional digits, as Go's time.Time.

private:
	void requireRunner() const;
	std::string changes(const std::string& id, bool apply);
	unsigned long long upperBytes(unsigned long long enough) const;
	void cleanLeftovers();
		/// At start: unmounts and removes every session directory in the upper root.

	void setUp();
	void awaitStart() const;

	const std::function<Capabilities()> _probe;
	Capabilities _capabilities;   ///< set by setUp(), before _started
	const Settings _settings;
	bool _runner = false;
	std::string _seccomp;   ///< the sessions' BPF program, built at start
	SessionRegistry _registry;
	Spawner _spawner;
	std::thread _startup;
	mutable std::mutex _startMutex;
	mutable std::condition_variable _startDone;
	bool _started = false;
};


} } // namespace execd::isolation
