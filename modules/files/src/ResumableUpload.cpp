#include "ResumableUpload.h"
#include "FileSystem.h"
#include "execd/ApiException.h"
#include "execd/Http.h"
#include "execd/Paths.h"
#include "Poco/Base64Decoder.h"
#include "Poco/DigestEngine.h"
#include "Poco/NumberParser.h"
#include "Poco/String.h"
#include "Poco/UUIDGenerator.h"
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sstream>
#include <unistd.h>
#include <sys/stat.h>


namespace execd {
namespace files {


namespace {


const std::size_t CHUNK_BYTES = 256 * 1024;


std::string base64Decode(const std::string& text)
{
	std::istringstream in(text);
	Poco::Base64Decoder decoder(in);
	std::string out;
	char c;
	while (decoder.get(c)) out += c;
	return out;
}


std::string sha256Of(const std::string& encoded, const std::string& header)
{
	std::string raw;
	try
	{
		raw = base64Decode(encoded);
	}
	catch (Poco::Exception&)
	{
	}
	if (raw.size() != 32)
		throw ApiException::badRequest("invalid " + header + " header: a SHA-256 digest is 32 bytes in base64");
	return raw;
}


mode_t octalMode(Poco::Int64 value)
{
	// As upstream's upload metadata: 644 is rw-r--r--.
	const std::string digits = std::to_string(value);
	if (value < 0 || digits.size() > 4 || digits.find_first_not_of("01234567") != std::string::npos)
		throw ApiException::badRequest("invalid mode " + digits + ": octal digits expected, as 644");
	return static_cast<mode_t>(std::stoi(digits, nullptr, 8));
}


} // namespace


constexpr std::chrono::hours UploadSessions::IDLE;
constexpr std::chrono::minutes UploadSessions::KEEP_COMPLETE;


UploadSessions& UploadSessions::instance()
{
	static UploadSessions sessions;
	return sessions;
}


void UploadSessions::collectLocked()
{
	const auto now = std::chrono::steady_clock::now();
	for (auto it = _sessions.begin(); it != _sessions.end();)
	{
		Session& s = *it->second;
		std::unique_lock<std::mutex> lock(s.mutex, std::try_to_lock);
		if (lock.owns_lock() && now - s.touched > (s.complete ? std::chrono::duration_cast<std::chrono::steady_clock::duration>(KEEP_COMPLETE)
			: std::chrono::duration_cast<std::chrono::steady_clock::duration>(IDLE)))
		{
			if (s.fd >= 0) ::close(s.fd);
			s.fd = -1;
			if (!s.complete) ::unlink(s.partPath.c_str());
			lock.unlock();
			it = _sessions.erase(it);
		}
		else
			++it;
	}
}


std::shared_ptr<UploadSessions::Session> UploadSessions::create(const std::string& path, std::uint64_t size, mode_t mode, const std::string& expectedDigest)
{
	std::lock_guard<std::mutex> lock(_mutex);
	collectLocked();
	// Completed ones answer retries for a while; they take no place.
	const std::size_t underWay = static_cast<std::size_t>(std::count_if(_sessions.begin(), _sessions.end(),
		[](const auto& entry) { return !entry.second->complete; }));
	if (underWay >= MAX_SESSIONS)
		throw ApiException(503, ErrorCode::TOO_MANY_CONNECTIONS, "too many resumable uploads under way (" + std::to_string(MAX_SESSIONS) + ")");
	auto pSession = std::make_shared<Session>();
	pSession->id = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
	pSession->path = path;
	pSession->partPath = Paths::dirName(path) + "/." + path.substr(path.rfind('/') + 1) + ".execd-upload-" + pSession->id;
	pSession->size = size;
	pSession->mode = mode;
	pSession->expectedDigest = expectedDigest;
	pSession->touched = std::chrono::steady_clock::now();
	pSession->fd = ::open(pSession->partPath.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (pSession->fd < 0) throwFileError(errno, "open", pSession->partPath);
	_sessions[pSession->id] = pSession;
	return pSession;
}


std::shared_ptr<UploadSessions::Session> UploadSessions::find(const std::string& id)
{
	std::lock_guard<std::mutex> lock(_mutex);
	collectLocked();
	auto it = _sessions.find(id);
	if (it == _sessions.end())
		throw ApiException::notFound(ErrorCode::UPLOAD_NOT_FOUND, "upload not found: " + id + " (never started, abandoned, or idle for more than 24 h)");
	return it->second;
}


void UploadSessions::remove(const std::string& id)
{
	std::lock_guard<std::mutex> lock(_mutex);
	_sessions.erase(id);
}


std::optional<std::string> UploadSessions::digestOf(const Poco::Net::HTTPServerRequest& request)
{
	if (request.has("Repr-Digest"))
	{
		// A dictionary of algorithm=:<base64>: members (RFC 9530, RFC 8941 byte sequences).
		std::istringstream members(request.get("Repr-Digest"));
		for (std::string member; std::getline(members, member, ',');)
		{
			member = Poco::trim(member);
			std::size_t eq = member.find('=');
			if (eq == std::string::npos) continue;
			if (Poco::icompare(Poco::trim(member.substr(0, eq)), "sha-256") != 0) continue;
			std::string value = Poco::trim(member.substr(eq + 1));
			if (value.size() < 2 || value.front() != ':' || value.back() != ':')
				throw ApiException::badRequest("invalid Repr-Digest header: sha-256=:<base64>: expected");
			return sha256Of(value.substr(1, value.size() - 2), "Repr-Digest");
		}
		throw ApiException::badRequest("invalid Repr-Digest header: no sha-256 member (the only algorithm execd checks)");
	}
	if (request.has("Digest"))
	{
		std::istringstream members(request.get("Digest"));
		for (std::string member; std::getline(members, member, ',');)
		{
			member = Poco::trim(member);
			std::size_t eq = member.find('=');
			if (eq != std::string::npos && Poco::icompare(member.substr(0, eq), "sha-256") == 0)
				return sha256Of(member.substr(eq + 1), "Digest");
		}
		throw ApiException::badRequest("invalid Digest header: no SHA-256 member (the only algorithm execd checks)");
	}
	return std::nullopt;
}


ResumableUploadHandler::ResumableUploadHandler(const RouteMatch& match, Kind kind):
	JsonHandler(match),
	_kind(kind)
{
}


std::string ResumableUploadHandler::statusJson(const UploadSessions::Session& session)
{
	std::string out = "{\"id\":" + Json::quote(session.id) + ",\"path\":" + Json::quote(session.path)
		+ ",\"size\":" + std::to_string(session.size) + ",\"received\":" + std::to_string(session.received.load())
		+ ",\"complete\":" + (session.complete ? "true" : "false");
	if (session.complete) out += ",\"sha256\":\"" + Poco::DigestEngine::digestToHex(Poco::DigestEngine::Digest(session.digest.begin(), session.digest.end())) + "\"";
	return out + "}";
}


void ResumableUploadHandler::handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
	if (_kind == Kind::START)
	{
		start(request, response);
		return;
	}
	std::shared_ptr<UploadSessions::Session> pSession = UploadSessions::instance().find(match().param("id"));
	UploadSessions::Session& session = *pSession;
	if (_kind == Kind::STATUS)
	{
		// Without the write lock: a PUT whose client is gone may hold it until its
		// read times out, and the client asks where to go on meanwhile.
		response.set("Upload-Offset", std::to_string(session.received.load()));
		response.set("Upload-Complete", session.complete ? "?1" : "?0");
		Http::sendJson(response, statusJson(session));
		return;
	}
	std::unique_lock<std::mutex> lock(session.mutex, std::try_to_lock);
	if (!lock.owns_lock())
		throw ApiException(409, ErrorCode::UPLOAD_OFFSET_MISMATCH, "upload " + session.id + " is being written by another request");
	if (session.removed)
		throw ApiException::notFound(ErrorCode::UPLOAD_NOT_FOUND, "upload not found: " + session.id + " (abandoned)");
	session.touched = std::chrono::steady_clock::now();
	if (_kind == Kind::CANCEL)
	{
		if (session.fd >= 0) ::close(session.fd);
		session.fd = -1;
		if (!session.complete) ::unlink(session.partPath.c_str());
		session.removed = true;
		UploadSessions::instance().remove(session.id);
		Http::sendEmpty(response);
		return;
	}
	if (_kind == Kind::APPEND) append(request, response, session);
	response.set("Upload-Offset", std::to_string(session.received.load()));
	response.set("Upload-Complete", session.complete ? "?1" : "?0");
	Http::sendJson(response, statusJson(session));
}


void ResumableUploadHandler::start(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
	const std::optional<std::string> digest = UploadSessions::digestOf(request);
	JsonBody body = JsonBody::read(request, "error parsing request, MAYBE invalid body format. ");
	const std::string raw = body.getString("path").value_or("");
	if (raw.empty()) throw ApiException::badRequest("path is required");
	checkPath(raw);
	const std::optional<Poco::Int64> size = body.getInt("size", 0, static_cast<Poco::Int64>(UploadSessions::MAX_SIZE));
	if (!size) throw ApiException::badRequest("size is required: the upload's length in bytes");
	const mode_t mode = octalMode(body.getInt("mode", 0, 7777).value_or(644));
	const std::string path = Paths::absolute(raw);
	makeDirectories(Paths::dirName(path), 0755);
	struct stat st;
	if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
		throw ApiException::badRequest("path " + path + " is a directory");
	auto pSession = UploadSessions::instance().create(path, static_cast<std::uint64_t>(*size), mode, digest.value_or(""));
	std::lock_guard<std::mutex> lock(pSession->mutex);
	if (pSession->size == 0) complete(*pSession);
	response.set("Location", "/files/uploads/" + pSession->id);
	response.set("Upload-Offset", std::to_string(pSession->received));
	Http::sendJson(response, statusJson(*pSession), 201);
}


void ResumableUploadHandler::append(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response, UploadSessions::Session& session)
{
	std::uint64_t offset = session.received;
	if (request.has("Content-Range"))
	{
		// bytes <first>-<last>/<size or *>
		const std::string range = Poco::trim(request.get("Content-Range"));
		std::uint64_t first = 0, last = 0;
		std::size_t dash = range.find('-'), slash = range.find('/');
		if (range.compare(0, 6, "bytes ") != 0 || dash == std::string::npos || slash == std::string::npos || slash < dash
			|| !Poco::NumberParser::tryParseUnsigned64(range.substr(6, dash - 6), first)
			|| !Poco::NumberParser::tryParseUnsigned64(range.substr(dash + 1, slash - dash - 1), last) || last < first)
			throw ApiException::badRequest("invalid Content-Range '" + range + "': bytes <first>-<last>/<size> expected");
		const std::string total = range.substr(slash + 1);
		if (total != "*" && total != std::to_string(session.size))
			throw ApiException::badRequest("Content-Range '" + range + "' names another size than the upload's " + std::to_string(session.size));
		if (request.hasContentLength() && static_cast<std::uint64_t>(request.getContentLength64()) != last - first + 1)
			throw ApiException::badRequest("Content-Range '" + range + "' and Content-Length disagree");
		offset = first;
	}
	else
	{
		QueryParams query(request);
		if (auto raw = query.get("offset"))
		{
			if (raw->empty() || raw->find_first_not_of("0123456789") != std::string::npos || !Poco::NumberParser::tryParseUnsigned64(*raw, offset))
				throw ApiException::badRequest("invalid offset '" + *raw + "': a non-negative integer expected");
		}
	}
	const std::optional<std::string> digest = UploadSessions::digestOf(request);
	if (digest) session.expectedDigest = *digest;
	if (session.complete)
	{
		if (offset == session.size && (!request.hasContentLength() || request.getContentLength64() == 0)) return;
		throw ApiException(409, ErrorCode::UPLOAD_OFFSET_MISMATCH, "upload " + session.id + " is complete");
	}
	if (offset != session.received)
	{
		response.set("Upload-Offset", std::to_string(session.received.load()));
		throw ApiException(409, ErrorCode::UPLOAD_OFFSET_MISMATCH, "upload " + session.id + " has " + std::to_string(session.received.load())
			+ " bytes; append at that offset, not at " + std::to_string(offset));
	}
	// What arrives is written and hashed as it comes: a body cut short keeps
	// what was written, and the next request goes on from there.
	std::string buffer(CHUNK_BYTES, '\0');
	std::istream& in = request.stream();
	bool cut = false;
	for (;;)
	{
		std::streamsize n = 0;
		try
		{
			in.read(&buffer[0], static_cast<std::streamsize>(buffer.size()));
			n = in.gcount();
		}
		catch (Poco::Exception&)
		{
			cut = true;
		}
		if (n <= 0) break;
		if (static_cast<std::uint64_t>(n) > session.size - session.received)
			throw ApiException::badRequest("the body goes past the upload's size of " + std::to_string(session.size) + " bytes");
		std::size_t done = 0;
		while (done < static_cast<std::size_t>(n))
		{
			ssize_t w = ::pwrite(session.fd, buffer.data() + done, static_cast<std::size_t>(n) - done, static_cast<off_t>(session.received.load() + done));
			if (w < 0 && errno == EINTR) continue;
			if (w <= 0) throwFileError(errno, "write", session.partPath);
			done += static_cast<std::size_t>(w);
		}
		session.hash.update(buffer.data(), static_cast<std::size_t>(n));
		session.received += static_cast<std::uint64_t>(n);
		if (cut || !in) break;
	}
	if (cut) throw Poco::IOException("the upload's body was cut short");   // nobody to answer
	if (session.received == session.size) complete(session);
}


void ResumableUploadHandler::complete(UploadSessions::Session& session)
{
	// The digest is taken once (the engine resets): a completion retried after a
	// failed rename checks the same one.
	if (session.digest.empty())
	{
		const Poco::DigestEngine::Digest digest = session.hash.digest();
		session.digest.assign(digest.begin(), digest.end());
	}
	if (!session.expectedDigest.empty() && session.digest != session.expectedDigest)
	{
		// Nothing is replaced, and this upload cannot be completed any more.
		const std::string hex = Poco::DigestEngine::digestToHex(Poco::DigestEngine::Digest(session.digest.begin(), session.digest.end()));
		if (session.fd >= 0) ::close(session.fd);
		session.fd = -1;
		::unlink(session.partPath.c_str());
		session.removed = true;
		UploadSessions::instance().remove(session.id);
		throw ApiException(400, ErrorCode::DIGEST_MISMATCH, "the upload's SHA-256 is " + hex
			+ ", not the one its digest header states; " + session.path + " was not replaced");
	}
	if (session.fd >= 0)
	{
		if (::fchmod(session.fd, session.mode) != 0) throwFileError(errno, "chmod", session.partPath);
		::close(session.fd);
		session.fd = -1;
	}
	if (::rename(session.partPath.c_str(), session.path.c_str()) != 0) throwFileError(errno, "rename", session.partPath + " " + session.path);
	session.complete = true;
}


std::vector<Route> resumableUploadRoutes()
{
	using Kind = ResumableUploadHandler::Kind;
	auto route = [](const char* method, const char* pattern, Kind kind)
	{
		return Route{method, pattern, [kind](const RouteMatch& m) { return std::make_unique<ResumableUploadHandler>(m, kind); }};
	};
	return {
		route("POST", "/files/uploads", Kind::START),
		route("GET", "/files/uploads/{id}", Kind::STATUS),
		route("PUT", "/files/uploads/{id}", Kind::APPEND),
		route("DELETE", "/files/uploads/{id}", Kind::CANCEL),
	};
}


} } // namespace execd::files
