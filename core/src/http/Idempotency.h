#pragma once

#include "execd/RunJournal.h"
#include "Poco/Net/HTTPRequestHandler.h"
#include "Poco/Net/HTTPServerRequest.h"
#include "Poco/Net/HTTPServerResponse.h"
#include <chrono>
#include <condition_variable>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>


namespace execd {


class Idempotency
	/// Idempotency-Key on POST /command, /code, /session/{id}/run, /files/upload,
	/// /directories and /files/mv: a second request with a key seen within the
	/// TTL does not run again.
	///
	/// A run's first request is journalled (it outlives its client); a retry
	/// follows that journal from the start, then live, as GET /runs/{id}/events
	/// does (with ids if it asks for a resumable stream). Any other route's retry
	/// waits for the first request's outcome and gets its status and body again.
	/// A retry whose method, target and body (SHA-256) differ from the first's
	/// is a 422. Keys are kept per access token, at most maxKeys (the least
	/// recently used finished one goes first), for the TTL after their request
	/// ended; a run whose request failed before it started leaves no key.
{
public:
	struct Settings
	{
		std::size_t maxKeys = 10000;               ///< execd.idempotency.maxKeys
		std::chrono::milliseconds ttl{600000};     ///< execd.idempotency.ttlMillis
		std::size_t maxKeyBytes = 255;
		std::size_t maxStoredBodyBytes = 64 * 1024;   ///< a larger answer is not kept (a retry gets 409)
		std::chrono::milliseconds waitForFirst{1800000};   ///< a retry waits this long for the first request
	};

	explicit Idempotency(const Settings& settings);

	static bool applies(const std::string& method, const std::string& pattern);
		/// True for the routes above.

	static bool isRun(const std::string& pattern);

	void serve(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
		Poco::Net::HTTPRequestHandler& handler, const std::string& pattern, std::size_t maxBodyBytes);
		/// Handles a request that carries an Idempotency-Key on one of those routes.

	std::size_t size() const;

private:
	struct Record
	{
		std::string fingerprint;                  ///< hex SHA-256; "" until the first's body was read
		bool done = false;
		std::string pattern;                      ///< the route it was for
		std::shared_ptr<RunJournal> pJournal;     ///< a run's, while its first request goes on
		std::weak_ptr<RunJournal> journal;        ///< then RunTable's to keep (its bounds apply)
		int status = 0;
		std::string reason;
		std::vector<std::pair<std::string, std::string>> headers;
		std::string body;
		bool stored = false;                      ///< the answer was kept
		std::chrono::steady_clock::time_point endedAt;
		std::list<std::string>::iterator lru;
	};
	using RecordPtr = std::shared_ptr<Record>;

	RecordPtr claim(const std::string& key, const std::string& fingerprint, const std::string& pattern, bool& first);
	void release(const std::string& key, const RecordPtr& pRecord, bool keep);
	void serveRun(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
		Poco::Net::HTTPRequestHandler& handler, const std::string& key, const std::string& pattern, std::size_t maxBodyBytes);
	void serveOther(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
		Poco::Net::HTTPRequestHandler& handler, const std::string& key, const std::string& pattern);
	void collectLocked();

	const Settings _settings;
	mutable std::mutex _mutex;
	std::condition_variable _changed;
	std::map<std::string, RecordPtr> _records;
	std::list<std::string> _order;   ///< least recently used first
};


} // namespace execd
