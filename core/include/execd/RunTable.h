#pragma once

#include "execd/FloodGate.h"
#include "execd/RunJournal.h"
#include "Poco/Net/HTTPServerRequest.h"
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>


namespace execd {


class EXECD_API RunTable
	/// The journals of resumable runs, by the id their init event announced (a
	/// command id, a context id, a session id: a context's or session's newest
	/// run replaces its earlier one). A finished run's journal is kept for the
	/// TTL; beyond maxRuns the oldest finished journal goes first, then the
	/// oldest running one (that run goes on, no longer resumable), and finished
	/// journals holding more than totalBytes together go, the oldest first.
{
public:
	struct Settings
	{
		std::size_t journalBytes = 8 * 1024 * 1024;    ///< execd.runs.journalBytes
		std::chrono::milliseconds ttl{600000};         ///< execd.runs.ttlMillis
		std::size_t maxRuns = 1000;                    ///< execd.runs.maxRuns
		std::string spillDirectory = "/tmp";           ///< execd.runs.spillDirectory
		std::uint64_t totalBytes = 1ull << 30;         ///< execd.runs.totalBytes: finished journals, all together
		FloodGate::Limits flood;                       ///< execd.runs.maxStreamBytes, maxEventsPerSecond, floodTailBytes: off by default
	};

	static RunTable& instance();

	void configure(const Settings& settings);
	Settings settings() const;

	static bool requested(const Poco::Net::HTTPServerRequest& request);
		/// True when the client asked for a resumable stream: X-Execd-Resumable: 1
		/// (or true), or a Last-Event-ID header.

	std::shared_ptr<RunJournal> create() const;
		/// A new journal, as configured; not yet findable.

	void publish(const std::string& id, std::shared_ptr<RunJournal> pJournal);

	std::shared_ptr<RunJournal> find(const std::string& id) const;
		/// Nothing for an unknown or expired id.

	void collect();
		/// Forgets the journals whose run ended more than the TTL ago.

	std::size_t size() const;
	void clear();

private:
	RunTable() = default;
	void evictLocked();

	mutable std::mutex _mutex;
	Settings _settings;
	struct Run
	{
		std::shared_ptr<RunJournal> pJournal;
		std::uint64_t order = 0;   ///< publication order
	};
	std::map<std::string, Run> _runs;
	std::uint64_t _published = 0;
};


} // namespace execd
