#pragma once

#include <string>
#include <sys/types.h>
#include <vector>


namespace execd {
namespace isolation {


struct SessionConfig
	/// A session as created (validated, defaults applied): what its bwrap command
	/// line is made of (contract §3.2–§3.4).
{
	enum class Workspace
	{
		RW,
		OVERLAY,
		RO
	};

	enum class Env
	{
		DENY,
		ALLOW
	};

	struct Bind
	{
		std::string source;   ///< resolved
		std::string dest;     ///< "" = source
		bool readonly = false;
	};

	std::string workspace;                  ///< the host path, clean and absolute
	Workspace mode = Workspace::OVERLAY;
	std::string merged;                     ///< overlay: where execd mounted lower + upper
	std::string upperRoot;                  ///< hidden from the session (--tmpfs), in every mode
	bool strict = true;                     ///< profile: strict = private /tmp, balanced = the host's
	std::vector<std::string> extraWritable; ///< resolved
	std::vector<Bind> binds;
	bool shareNet = true;
	Env env = Env::DENY;
	std::vector<std::string> envKeys;       ///< deny: exactly these are unset; allow: only these are kept
	bool userns = false;                    ///< uid_mode userns (else setpriv)
	uid_t uid = 0;
	gid_t gid = 0;
	bool seccomp = false;                   ///< the filter is readable on SECCOMP_DESCRIPTOR (§3.5)
};


class BwrapCommand
	/// The argv of a session's bwrap, in upstream's order (order matters to bwrap):
	/// namespaces, the read-only root, /tmp, /run, /dev, the workspace, caller
	/// mounts, /proc, the environment, then the shell (through setpriv in setpriv
	/// mode when the identity is not root's).
{
public:
	static const char* const ROOT_CAPABILITIES[12];
		///< what a session with uid 0 keeps (Docker's default set less CAP_MKNOD
		///< and CAP_NET_RAW); everything else is dropped

	static constexpr int SECCOMP_DESCRIPTOR = 3;
		///< where bwrap reads the seccomp program (Subprocess::Options::inheritDescriptor)

	static const std::vector<std::string> EXECD_VARIABLES;
		///< always unset: EXECD_ACCESS_TOKEN, JUPYTER_HOST, JUPYTER_TOKEN, EXECD_ISOLATION_CONFIG, EXECD_ENVS

	static std::vector<std::string> build(const SessionConfig& config, const std::string& bwrap, const std::vector<std::string>& environment,
		const std::vector<std::string>& shell, const std::string& setpriv);
		/// environment is execd's (NAME=value), for the deny blacklist and allow's values.

	static std::vector<std::string> environment(const SessionConfig& config, const std::vector<std::string>& environment);
		/// What bwrap itself is started with: the session's environment, as its
		/// --unsetenv/--clearenv/--setenv would leave it. bwrap's own process (pid 1
		/// of the session, whose /proc/1/environ a root session reads) then holds
		/// nothing the rules keep from the session; upstream hands it execd's whole
		/// environment.

	static bool secretName(const std::string& name);
		/// The deny blacklist: *_API_KEY, *_TOKEN, *_SECRET, *_PASSWORD, AWS_*, ALI_*,
		/// ALIYUN_*, K8S_*, KUBE_*, case-insensitive.
};


} } // namespace execd::isolation
