#include "SessionRequest.h"
#include "execd/ApiException.h"
#include "execd/Paths.h"
#include "Poco/Path.h"
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>


namespace execd {
namespace isolation {


namespace {


std::string realPath(const std::string& path)
{
	char buffer[PATH_MAX];
	return ::realpath(path.c_str(), buffer) ? std::string(buffer) : std::string();
}


bool within(const std::string& path, const std::string& dir)
{
	if (dir == "/") return true;
	return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/');
}


std::string clean(const std::string& path)
{
	std::string out = Poco::Path(path, Poco::Path::PATH_UNIX).makeAbsolute(Poco::Path("/")).toString(Poco::Path::PATH_UNIX);
	while (out.size() > 1 && out.back() == '/') out.pop_back();
	return out;
}


ApiException invalid(const std::string& message)
{
	return ApiException::badRequest(message);
}


ApiException rejected(const std::string& message)
{
	return ApiException(400, ErrorCode::RUNTIME_ERROR, message);
}


} // namespace


std::string SessionRequest::resolveAllowed(const std::string& what, const std::string& path, const std::vector<std::string>& allowed)
{
	struct stat info{};
	if (::lstat(path.c_str(), &info) != 0)
		throw rejected(what + " \"" + path + "\": must be an existing path: " + Paths::errorText(errno, "lstat", path));
	const std::string resolved = realPath(path);
	for (const std::string& a: allowed)
	{
		const std::string dir = realPath(a);
		if (!dir.empty() && within(resolved, dir)) return resolved;
	}
	throw rejected(what + " \"" + path + "\": not in allowlist");
}


SessionRequest SessionRequest::parse(const JsonBody& body, const std::vector<std::string>& allowedWritable)
{
	SessionRequest r;
	std::optional<JsonBody> workspace = body.getObject("workspace");
	std::optional<std::string> path = workspace ? workspace->getString("path") : std::nullopt;
	if (!path || path->empty())
		throw invalid("Key: 'CreateIsolatedSessionRequest.Workspace.Path' Error:Field validation for 'Path' failed on the 'required' tag");
	// (rec): absolute and clean, not upstream's path as given.
	if ((*path)[0] != '/') throw invalid("workspace.path \"" + *path + "\" must be an absolute path");
	r.config.workspace = clean(*path);
	const std::string mode = workspace->getString("mode").value_or("overlay");
	if (mode == "rw")
		r.config.mode = SessionConfig::Workspace::RW;
	else if (mode == "ro")
		r.config.mode = SessionConfig::Workspace::RO;
	else if (mode == "overlay" || mode.empty())
		r.config.mode = SessionConfig::Workspace::OVERLAY;
	else
		throw invalid("invalid workspace mode \"" + mode + "\": must be rw, overlay, or ro");

	if (std::optional<JsonBody> env = body.getObject("env_passthrough"))
	{
		std::optional<std::string> envMode = env->getString("mode");
		if (envMode && !envMode->empty())
		{
			if (*envMode != "deny" && *envMode != "allow")
				throw invalid("invalid env_passthrough mode \"" + *envMode + "\": must be \"deny\" or \"allow\"");
			r.envModeGiven = true;
			r.config.env = *envMode == "allow" ? SessionConfig::Env::ALLOW : SessionConfig::Env::DENY;
			r.config.envKeys = env->getStringArray("keys").value_or(std::vector<std::string>());
		}
	}
	r.uidMode = body.getString("uid_mode").value_or("setpriv");
	if (r.uidMode.empty()) r.uidMode = "setpriv";
	if (r.uidMode != "setpriv" && r.uidMode != "userns")
		throw invalid("invalid uid_mode \"" + r.uidMode + "\": must be \"setpriv\" or \"userns\"");
	r.config.userns = r.uidMode == "userns";
	r.uid = body.getInt("uid", 0, 4294967295LL);
	r.gid = body.getInt("gid", 0, 4294967295LL);
	r.config.uid = static_cast<uid_t>(r.uid.value_or(::getuid()));
	r.config.gid = static_cast<gid_t>(r.gid.value_or(::getgid()));
	r.shareNet = body.getBool("share_net");
	r.config.shareNet = r.shareNet.value_or(true);
	r.idleTimeoutSeconds = body.getInt("idle_timeout_seconds", LLONG_MIN, LLONG_MAX).value_or(0);

	std::vector<JsonBody> binds = body.getObjectArray("binds").value_or(std::vector<JsonBody>());
	for (std::size_t i = 0; i < binds.size(); ++i)
	{
		const std::string at = "binds[" + std::to_string(i) + "]";
		SessionConfig::Bind b;
		b.source = binds[i].getString("source").value_or("");
		b.dest = binds[i].getString("dest").value_or("");
		b.readonly = binds[i].getBool("readonly").value_or(false);
		if (b.source.empty()) throw invalid(at + ".source is required");
		if (b.source[0] != '/') throw invalid(at + ".source \"" + b.source + "\" must be an absolute path");
		if (!b.dest.empty() && b.dest[0] != '/') throw invalid(at + ".dest \"" + b.dest + "\" must be an absolute path");
		r.bindsAsGiven.push_back(b);
	}

	const std::vector<std::string> extra = body.getStringArray("extra_writable").value_or(std::vector<std::string>());
	if (!extra.empty() && allowedWritable.empty()) throw rejected("extra_writable not allowed: no paths in allowlist");
	for (const std::string& p: extra) r.config.extraWritable.push_back(resolveAllowed("extra_writable path", p, allowedWritable));
	if (!r.bindsAsGiven.empty() && allowedWritable.empty()) throw rejected("binds not allowed: no paths in allowlist");
	for (SessionConfig::Bind& b: r.bindsAsGiven)
	{
		b.source = resolveAllowed("binds source", b.source, allowedWritable);
		r.config.binds.push_back(b);
	}

	r.profile = body.getString("profile").value_or("strict");
	if (r.profile.empty()) r.profile = "strict";
	if (r.profile != "strict" && r.profile != "balanced")
		throw rejected("start bwrap: unknown isolation profile \"" + r.profile + "\"");
	r.config.strict = r.profile == "strict";
	return r;
}


} } // namespace execd::isolation
