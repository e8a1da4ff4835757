#pragma once

#include "execd/JsonHandler.h"
#include "execd/Route.h"
#include "Poco/SHA2Engine.h"
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>


namespace execd {
namespace files {


class UploadSessions
	/// The resumable uploads under way (README "Resumable uploads"): each one a
	/// part file beside its target (.<name>.execd-upload-<id>, mode 0600), the
	/// bytes received so far and their running SHA-256. At most MAX_SESSIONS; one
	/// untouched for IDLE is abandoned (its part file removed). Thread-safe.
{
public:
	static constexpr std::size_t MAX_SESSIONS = 1000;
	static constexpr std::chrono::hours IDLE{24};
	static constexpr std::chrono::minutes KEEP_COMPLETE{10};   ///< a completed one answers its retries this long
	static constexpr std::uint64_t MAX_SIZE = std::uint64_t(1) << 44;   ///< 16 TiB

	struct Session
	{
		std::string id;
		std::string path;                ///< the target
		std::string partPath;
		std::uint64_t size = 0;
		std::atomic<std::uint64_t> received{0};
		mode_t mode = 0644;
		std::string expectedDigest;      ///< raw SHA-256, "" when not given yet
		std::string digest;              ///< raw SHA-256 once complete
		std::atomic<bool> complete{false};
		bool removed = false;            ///< abandoned (DELETE, a wrong digest): requests that found it get 404
		bool busy = false;               ///< a PUT is writing
		int fd = -1;
		Poco::SHA2Engine hash{Poco::SHA2Engine::SHA_256};
		std::chrono::steady_clock::time_point touched;
		std::mutex mutex;
	};

	static UploadSessions& instance();

	std::shared_ptr<Session> create(const std::string& path, std::uint64_t size, mode_t mode, const std::string& expectedDigest);
	std::shared_ptr<Session> find(const std::string& id);
	void remove(const std::string& id);

	static std::optional<std::string> digestOf(const Poco::Net::HTTPServerRequest& request);
		/// The SHA-256 a request states, raw: Repr-Digest: sha-256=:<base64>: (RFC 9530)
		/// or Digest: SHA-256=<base64> (RFC 3230). 400 for one that is malformed.

private:
	void collectLocked();

	std::mutex _mutex;
	std::map<std::string, std::shared_ptr<Session>> _sessions;
};


class ResumableUploadHandler: public JsonHandler
	/// POST /files/uploads (start), GET /files/uploads/{id} (how much arrived),
	/// PUT /files/uploads/{id} (append at Content-Range or ?offset, completing at
	/// the last byte), DELETE /files/uploads/{id} (abandon).
{
public:
	enum class Kind { START, STATUS, APPEND, CANCEL };

	ResumableUploadHandler(const RouteMatch& match, Kind kind);

protected:
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override;

private:
	void start(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);
	void append(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response, UploadSessions::Session& session);
	void complete(UploadSessions::Session& session);
	static std::string statusJson(const UploadSessions::Session& session);

	Kind _kind;
};


std::vector<Route> resumableUploadRoutes();


} } // namespace execd::files
