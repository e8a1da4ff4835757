#include "JupyterSettings.h"
#include "execd/ApiException.h"
#include "execd/Paths.h"


namespace execd {
namespace jupyter {


JupyterSettings JupyterSettings::from(const ConfigReader& config)
{
	JupyterSettings s;
	s.host = config.getString("host", "");
	s.token = config.getString("token", "");
	// Accepted for upstream compatibility, unused: runs end on the kernel's own
	// messages. Still validated, so a malformed value stops startup as before.
	auto idlePoll = config.getMillis("idlePollIntervalMillis", std::chrono::milliseconds(100),
		std::chrono::milliseconds(-1000000000), std::chrono::hours(1));
	(void) idlePoll;
	// Where the image has it: pip puts it in /usr/local/bin, Debian in /usr/bin.
	std::string found = Paths::findExecutable("jupyter-server", {s.serverCommand});
	s.serverCommand = config.getString("serverCommand", found.empty() ? s.serverCommand : found);
	s.startupTimeout = config.getMillis("startupTimeoutMillis", s.startupTimeout, std::chrono::milliseconds(100), std::chrono::hours(1));
	s.kernelStartTimeout = config.getMillis("kernelStartTimeoutMillis", s.kernelStartTimeout, std::chrono::milliseconds(100), std::chrono::hours(1));
	if (!s.host.empty() && s.host.rfind("http://", 0) != 0 && s.host.rfind("https://", 0) != 0)
		throw ConfigurationException("module.jupyter.host: '" + s.host + "' must start with http:// or https://");
	s.rawMessages = config.getBool("rawMessages", true);
	const std::string mode = config.getString("mode", s.host.empty() ? "direct" : "server");
	if (mode != "direct" && mode != "server")
		throw ConfigurationException("module.jupyter.mode: '" + mode + "' must be direct or server");
	s.mode = mode == "server" || !s.host.empty() ? Mode::SERVER : Mode::DIRECT;
	s.heartbeatTimeout = config.getMillis("heartbeatTimeoutMillis", s.heartbeatTimeout, std::chrono::milliseconds(0), std::chrono::hours(1));
	return s;
}


} } // namespace execd::jupyter
