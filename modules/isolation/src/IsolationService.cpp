#include "IsolationService.h"
#include "DirectoryWalk.h"
#include "FileSystem.h"
#include "Overlay.h"
#include "SeccompProgram.h"
#include "execd/ApiException.h"
#include "execd/Paths.h"
#include "Poco/File.h"
#include "Poco/Logger.h"
#include "Poco/JSON/Array.h"
#include "Poco/JSON/Object.h"
#include "Poco/UUIDGenerator.h"
#include <ctime>
#include <shared_mutex>
#include <sys/mount.h>
#include <sstream>
#include <unistd.h>


namespace execd {
namespace isolation {


namespace {


std::string quoted(const std::string& text)
{
	std::ostringstream out;
	Poco::JSON::Stringifier::formatString(text, out);
	return out.str();
}


ApiException notFound()
{
	return ApiException::notFound(ErrorCode::SESSION_NOT_FOUND, "session not found");
}


} // namespace


IsolationService::IsolationService(std::function<Capabilities()> probe, Settings settings):
	_probe(std::move(probe)),
	_settings(std::move(settings)),
	_registry(_settings.gcInterval)
{
}


IsolationService::~IsolationService()
{
	if (_startup.joinable()) _startup.join();
}


void IsolationService::start()
{
	// The probe runs a few bwraps (tens of ms): in the background, so that execd
	// answers at once; the isolated routes wait for it (its tries have deadlines).
	_startup = std::thread([this]
	{
		setUp();
		std::lock_guard<std::mutex> lock(_startMutex);
		_started = true;
		_startDone.notify_all();
	});
}


void IsolationService::awaitStart() const
{
	std::unique_lock<std::mutex> lock(_startMutex);
	_startDone.wait(lock, [this] { return _started; });
}


void IsolationService::setUp()
{
	_capabilities = _probe();
	if (!_capabilities.available()) return;
	try
	{
		Poco::File(_settings.upperRoot).createDirectories();
		cleanLeftovers();
		_capabilities.overlayAvailable = Overlay::probe(_settings.upperRoot);
		_seccomp = SeccompProgram::build(_settings.seccompDeny);
		_runner = true;
	}
	catch (Poco::Exception& exc)
	{
		Poco::Logger::get("execd.isolation").error("isolation unavailable: the upper root %s: %s", _settings.upperRoot, exc.displayText());
		_runner = false;
	}
	catch (std::exception& exc)
	{
		Poco::Logger::get("execd.isolation").error("isolation unavailable: %s", std::string(exc.what()));
		_runner = false;
	}
	if (_runner) _registry.start();
}


void IsolationService::cleanLeftovers()
{
	// What an execd that was killed left: its sessions died with it (bwrap's
	// --die-with-parent), their overlays are still mounted.
	std::vector<std::string> names;
	Poco::File(_settings.upperRoot).list(names);
	for (const std::string& name: names)
	{
		const std::string dir = _settings.upperRoot + "/" + name;
		::umount2((dir + "/merged").c_str(), MNT_DETACH);
		try
		{
			Poco::File(dir).remove(true);
			Poco::Logger::get("execd.isolation").information("removed the leftover session directory %s", dir);
		}
		catch (Poco::Exception& exc)
		{
			Poco::Logger::get("execd.isolation").warning("could not remove %s: %s", dir, exc.displayText());
		}
	}
}


void IsolationService::stop()
{
	if (_startup.joinable()) _startup.join();
	_registry.stop();
	_spawner.stop();   // every session is gone: its thread may end
}


bool IsolationService::usable() const
{
	awaitStart();
	return _runner;
}


SessionRegistry& IsolationService::registry()
{
	return _registry;
}


void IsolationService::requireRunner() const
{
	awaitStart();
	if (!_runner) throw ApiException(503, ErrorCode::SERVICE_UNAVAILABLE, "isolation unavailable");
}


std::string IsolationService::timestamp(std::chrono::system_clock::time_point t)
{
	// RFC 3339 in execd's local zone, as upstream's time.Time and the files' FileInfo.
	const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
	struct timespec ts;
	ts.tv_sec = static_cast<std::time_t>(ns / 1000000000);
	ts.tv_nsec = static_cast<long>(ns % 1000000000);
	return files::FileInfoWriter::timestamp(ts);
}


std::string IsolationService::capabilities() const
{
	awaitStart();
	return _capabilities.json(_runner, true);
}


std::string IsolationService::diff(const std::string& id)
{
	return changes(id, false);
}


std::string IsolationService::commit(const std::string& id)
{
	return changes(id, true);
}


std::string IsolationService::changes(const std::string& id, bool apply)
{
	const char* what = apply ? "commit" : "diff";
	awaitStart();
	// Where no overlay can be mounted (capabilities say so): upstream's status
	// and code for these routes, 503 NOT_SUPPORTED, before any lookup.
	if (!_runner || !_capabilities.overlayAvailable)
		throw ApiException(503, ErrorCode::NOT_SUPPORTED, std::string(what) + " is not supported here: no overlay can be mounted");
	std::optional<SessionRegistry::Entry> entry = _registry.find(id);
	if (!entry) throw notFound();
	std::unique_lock<std::mutex> running(*entry->running, std::defer_lock);
	if (apply) running.lock();   // not in the middle of a run
	std::shared_lock<std::shared_timed_mutex> lease(*entry->files);
	entry = _registry.find(id);
	if (!entry || entry->stopping || !entry->session->alive()) throw ApiException::runtimeError("isolated session is not active");
	const SessionConfig& config = entry->session->request().config;
	if (config.mode != SessionConfig::Workspace::OVERLAY)
		throw ApiException::badRequest(std::string(what) + " needs a session whose workspace mode is overlay", ErrorCode::RUNTIME_ERROR);
	const std::string upper = entry->session->sessionDirectory() + "/upper";
	Descriptor workspace(entry->session->workspaceDescriptor());
	if (workspace.get() < 0) throw ApiException::runtimeError("isolated session is not active");
	return Overlay::json(apply ? Overlay::commit(upper, workspace.get(), config.workspace, DIFF_MAX_ENTRIES)
		: Overlay::diff(upper, workspace.get(), DIFF_MAX_ENTRIES));
}


unsigned long long IsolationService::upperBytes(unsigned long long enough) const
{
	// The space the files of every upper take (blocks, as du), counted until enough.
	unsigned long long bytes = 0;
	try
	{
		files::DirectoryWalk walk(_settings.upperRoot);
		for (auto step = walk.next(); step != files::DirectoryWalk::END && bytes < enough; step = walk.next())
		{
			if (step != files::DirectoryWalk::ENTRY) continue;
			struct stat st;
			if (walk.stat(st) != 0) continue;
			bytes += static_cast<unsigned long long>(st.st_blocks) * 512;
			if (S_ISDIR(st.st_mode) && walk.name() != "merged") walk.descend();   // not through the mounted views
		}
	}
	catch (Poco::FileException&)
	{
		// Sessions come and go while this looks: what was counted stands.
	}
	return bytes;
}


std::string IsolationService::create(const JsonBody& body)
{
	requireRunner();
	SessionRequest request = SessionRequest::parse(body, _settings.allowedWritable);
	if (request.config.userns && !_capabilities.usernsAvailable)
		throw ApiException(503, ErrorCode::NOT_SUPPORTED, "requested uid mode is unavailable: userns");
	if (!request.config.userns)
	{
		if (!_capabilities.setprivAvailable)
			throw ApiException(503, ErrorCode::NOT_SUPPORTED, "requested uid mode is unavailable: setpriv");
		const bool other = request.config.uid != ::getuid() || request.config.gid != ::getgid();
		if (other && !_capabilities.identitySwitch)
			throw ApiException(503, ErrorCode::NOT_SUPPORTED, "requested uid mode is unavailable: setpriv cannot switch to the requested uid/gid");
	}
	if (request.config.mode == SessionConfig::Workspace::OVERLAY && _settings.upperMaxBytes > 0)
	{
		const unsigned long long used = upperBytes(_settings.upperMaxBytes);
		if (used >= _settings.upperMaxBytes)
			throw ApiException::runtimeError("start bwrap: the overlays' upper directories hold " + std::to_string(used)
				+ " bytes, upper_max_bytes is " + std::to_string(_settings.upperMaxBytes));
	}
	try
	{
		Paths::createDirectories(request.config.workspace, 0755);
	}
	catch (Poco::Exception& exc)
	{
		throw ApiException(500, ErrorCode::RUNTIME_ERROR, "create workspace: " + exc.message());
	}
	const std::string id = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
	const std::string bash = Paths::findExecutable("bash");
	IsolatedSession::Paths paths{_capabilities.bwrap, Paths::findExecutable("setpriv", {"/usr/bin/setpriv"}),
		bash.empty() ? std::vector<std::string>{"sh"} : std::vector<std::string>{bash, "--noprofile", "--norc"}, _settings.upperRoot, _seccomp};
	auto pSession = std::make_shared<IsolatedSession>(id, request, paths);
	try
	{
		_spawner.call([&pSession] { pSession->start(); });   // never on a worker thread (see Spawner)
	}
	catch (Poco::Exception& exc)
	{
		const std::string message = exc.message().rfind("start bwrap: ", 0) == 0 ? exc.message() : "start bwrap: " + exc.message();
		throw ApiException(500, ErrorCode::RUNTIME_ERROR, message);
	}
	_registry.add(pSession);
	return "{\"session_id\":" + quoted(id) + ",\"created_at\":" + quoted(timestamp(std::chrono::system_clock::now())) + "}";
}


std::string IsolationService::list() const
{
	requireRunner();
	std::string out = "{\"sessions\":[";
	bool first = true;
	for (const SessionRegistry::Entry& e: _registry.list())
	{
		out += first ? "" : ",";
		first = false;
		out += "{\"session_id\":" + quoted(e.session->id()) + ",\"status\":\"" + (e.stopping || !e.session->alive() ? "dead" : "active") + "\""
			+ ",\"created_at\":" + quoted(timestamp(e.createdAt)) + ",\"last_run_at\":" + quoted(timestamp(e.lastRunAt));
		const Poco::Int64 idle = e.session->request().idleTimeoutSeconds;
		if (idle > 0)
		{
			const auto since = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - e.lastRunSteady).count();
			out += ",\"idle_remaining_seconds\":" + std::to_string(std::max<Poco::Int64>(0, idle - since));
		}
		out += "}";
	}
	return out + "]}";
}


std::string IsolationService::state(const std::string& id) const
{
	requireRunner();
	std::optional<SessionRegistry::Entry> e = _registry.find(id);
	if (!e) throw notFound();
	const SessionRequest& r = e->session->request();
	std::string out = std::string("{\"status\":\"") + (e->stopping || !e->session->alive() ? "dead" : "active") + "\""
		+ ",\"created_at\":" + quoted(timestamp(e->createdAt)) + ",\"last_run_at\":" + quoted(timestamp(e->lastRunAt));
	if (r.idleTimeoutSeconds > 0)
	{
		const auto since = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - e->lastRunSteady).count();
		out += ",\"idle_remaining_seconds\":" + std::to_string(std::max<Poco::Int64>(0, r.idleTimeoutSeconds - since));
	}
	static const char* const MODES[] = {"rw", "overlay", "ro"};
	out += ",\"profile\":" + quoted(r.profile) + ",\"workspace\":{\"path\":" + quoted(r.config.workspace) + ",\"mode\":\""
		+ MODES[static_cast<int>(r.config.mode)] + "\"}";
	if (!r.config.extraWritable.empty())
	{
		out += ",\"extra_writable\":[";
		for (std::size_t i = 0; i < r.config.extraWritable.size(); ++i) out += (i ? "," : "") + quoted(r.config.extraWritable[i]);
		out += "]";
	}
	if (!r.bindsAsGiven.empty())
	{
		out += ",\"binds\":[";
		for (std::size_t i = 0; i < r.bindsAsGiven.size(); ++i)
		{
			const SessionConfig::Bind& b = r.bindsAsGiven[i];
			out += std::string(i ? "," : "") + "{\"source\":" + quoted(b.source) + (b.dest.empty() ? "" : ",\"dest\":" + quoted(b.dest))
				+ (b.readonly ? ",\"readonly\":true" : "") + "}";
		}
		out += "]";
	}
	if (r.shareNet) out += std::string(",\"share_net\":") + (*r.shareNet ? "true" : "false");
	out += std::string(",\"env_passthrough\":{\"mode\":\"") + (r.config.env == SessionConfig::Env::ALLOW ? "allow" : "deny") + "\"";
	if (r.envModeGiven && !r.config.envKeys.empty())
	{
		out += ",\"keys\":[";
		for (std::size_t i = 0; i < r.config.envKeys.size(); ++i) out += (i ? "," : "") + quoted(r.config.envKeys[i]);
		out += "]";
	}
	out += "}";
	if (r.uid) out += ",\"uid\":" + std::to_string(*r.uid);
	if (r.gid) out += ",\"gid\":" + std::to_string(*r.gid);
	out += ",\"uid_mode\":" + quoted(r.uidMode) + ",\"idle_timeout_seconds\":" + std::to_string(r.idleTimeoutSeconds) + "}";
	return out;
}


void IsolationService::remove(const std::string& id)
{
	requireRunner();
	try
	{
		_registry.remove(id);
	}
	catch (Poco::NotFoundException&)
	{
		throw notFound();
	}
	catch (Poco::Exception& exc)
	{
		throw ApiException(500, ErrorCode::RUNTIME_ERROR, exc.message());
	}
}


} } // namespace execd::isolation
