#include "BwrapCommand.h"
#include <algorithm>
#include <cctype>


namespace execd {
namespace isolation {


namespace {


std::string upper(std::string text)
{
	for (char& c: text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
	return text;
}


bool endsWith(const std::string& text, const std::string& suffix)
{
	return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}


bool isExecdVariable(const std::string& name)
{
	return std::find(BwrapCommand::EXECD_VARIABLES.begin(), BwrapCommand::EXECD_VARIABLES.end(), name) != BwrapCommand::EXECD_VARIABLES.end();
}


} // namespace


const std::vector<std::string> BwrapCommand::EXECD_VARIABLES{"EXECD_ACCESS_TOKEN", "JUPYTER_HOST", "JUPYTER_TOKEN",
	"EXECD_ISOLATION_CONFIG", "EXECD_ENVS"};


bool BwrapCommand::secretName(const std::string& name)
{
	const std::string n = upper(name);
	for (const char* suffix: {"_API_KEY", "_TOKEN", "_SECRET", "_PASSWORD"})
		if (endsWith(n, suffix)) return true;
	for (const char* prefix: {"AWS_", "ALI_", "ALIYUN_", "K8S_", "KUBE_"})
		if (n.rfind(prefix, 0) == 0) return true;
	return false;
}


std::vector<std::string> BwrapCommand::build(const SessionConfig& c, const std::string& bwrap, const std::vector<std::string>& environment,
	const std::vector<std::string>& shell, const std::string& setpriv)
{
	std::vector<std::string> a{bwrap};
	if (c.userns) a.insert(a.end(), {"--unshare-user", "--disable-userns"});
	a.insert(a.end(), {"--unshare-pid", "--unshare-uts", "--hostname", "sandbox", "--unshare-ipc", "--unshare-cgroup"});
	if (!c.shareNet) a.push_back("--unshare-net");
	if (c.userns) a.insert(a.end(), {"--uid", std::to_string(c.uid), "--gid", std::to_string(c.gid)});
	a.insert(a.end(), {"--ro-bind", "/", "/"});
	if (c.workspace != "/tmp")
	{
		if (c.strict)
			a.insert(a.end(), {"--tmpfs", "/tmp"});
		else
			a.insert(a.end(), {"--bind", "/tmp", "/tmp"});
	}
	a.insert(a.end(), {"--tmpfs", "/run", "--dev", "/dev"});
	// A destination inside a tmpfs (strict /tmp, /run) has its missing parents made
	// by bwrap with mode 0700, which a session user other than root cannot pass:
	// they are made 0755 first.
	auto reachable = [&a, &c](const std::string& dest)
	{
		for (const char* root: {"/tmp/", "/run/"})
		{
			const std::string r = root;
			if (dest.compare(0, r.size(), r) != 0 || (r == "/tmp/" && !c.strict)) continue;
			for (std::size_t slash = dest.find('/', r.size()); slash != std::string::npos; slash = dest.find('/', slash + 1))
				a.insert(a.end(), {"--perms", "0755", "--dir", dest.substr(0, slash)});
		}
	};
	reachable(c.workspace);
	switch (c.mode)
	{
	case SessionConfig::Workspace::RW:
		a.insert(a.end(), {"--bind", c.workspace, c.workspace});
		break;
	case SessionConfig::Workspace::RO:
		a.insert(a.end(), {"--ro-bind", c.workspace, c.workspace});
		break;
	case SessionConfig::Workspace::OVERLAY:
		// bwrap 0.8 has no --overlay: execd mounted the overlay itself.
		a.insert(a.end(), {"--bind", c.merged, c.workspace});
		break;
	}
	// Every session's upper out of sight, in every mode (upstream: overlay only).
	if (!c.upperRoot.empty()) a.insert(a.end(), {"--tmpfs", c.upperRoot});
	for (const std::string& p: c.extraWritable)
	{
		reachable(p);
		a.insert(a.end(), {"--bind", p, p});
	}
	for (const SessionConfig::Bind& b: c.binds)
	{
		const std::string& dest = b.dest.empty() ? b.source : b.dest;
		reachable(dest);
		a.insert(a.end(), {b.readonly ? "--ro-bind" : "--bind", b.source, dest});
	}
	a.insert(a.end(), {"--proc", "/proc"});

	if (c.env == SessionConfig::Env::DENY)
	{
		for (const std::string& name: EXECD_VARIABLES) a.insert(a.end(), {"--unsetenv", name});
		if (!c.envKeys.empty())
		{
			for (const std::string& key: c.envKeys)
				if (!isExecdVariable(key)) a.insert(a.end(), {"--unsetenv", key});
		}
		else
		{
			for (const std::string& entry: environment)
			{
				const std::string name = entry.substr(0, entry.find('='));
				if (!isExecdVariable(name) && secretName(name)) a.insert(a.end(), {"--unsetenv", name});
			}
		}
	}
	// allow: bwrap is started with exactly the listed variables (environment()),
	// so no --clearenv and no --setenv, which would put their values on bwrap's
	// command line, readable by every process of the host.
	if (!c.userns && c.uid == 0)
	{
		// A session that stays root keeps bwrap's full capability set unless told:
		// it would reach raw devices (CAP_MKNOD, CAP_SYS_RAWIO), the host's network
		// (CAP_NET_ADMIN, CAP_NET_RAW with share_net) and the read-only root
		// (CAP_SYS_ADMIN). What it keeps is a container's usual set without those.
		a.insert(a.end(), {"--cap-drop", "ALL"});
		for (const char* cap: ROOT_CAPABILITIES) a.insert(a.end(), {"--cap-add", cap});
	}
	if (c.seccomp) a.insert(a.end(), {"--seccomp", std::to_string(SECCOMP_DESCRIPTOR)});
	a.insert(a.end(), {"--die-with-parent", "--"});
	if (!c.userns && (c.uid != 0 || c.gid != 0))
		a.insert(a.end(), {setpriv, "--reuid=" + std::to_string(c.uid), "--regid=" + std::to_string(c.gid), "--clear-groups"});
	a.insert(a.end(), shell.begin(), shell.end());
	return a;
}


const char* const BwrapCommand::ROOT_CAPABILITIES[] = {"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_SETFCAP", "CAP_AUDIT_WRITE"};


std::vector<std::string> BwrapCommand::environment(const SessionConfig& c, const std::vector<std::string>& environment)
{
	std::vector<std::string> out;
	for (const std::string& entry: environment)
	{
		const std::string name = entry.substr(0, entry.find('='));
		if (isExecdVariable(name)) continue;
		const bool listed = std::find(c.envKeys.begin(), c.envKeys.end(), name) != c.envKeys.end();
		if (c.env == SessionConfig::Env::ALLOW ? listed : (c.envKeys.empty() ? !secretName(name) : !listed))
			out.push_back(entry);
	}
	return out;
}


} } // namespace execd::isolation
