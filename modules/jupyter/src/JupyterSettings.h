#pragma once

#include "execd/ConfigReader.h"
#include <chrono>
#include <map>
#include <string>


namespace execd {
namespace jupyter {


struct JupyterSettings
	/// Settings under module.jupyter (see etc/execd.properties and JupyterModule).
{
	enum class Mode
	{
		DIRECT,    ///< execd starts the kernels and speaks their protocol (DirectHost)
		SERVER     ///< through a Jupyter server, external (host) or embedded (ServerHost)
	};

	Mode mode = Mode::DIRECT;                               ///< SERVER whenever host is set
	std::string host;                                       ///< external server; "" = embedded (in SERVER mode)
	std::string token;
	std::string serverCommand = "/usr/bin/jupyter-server";
	std::chrono::milliseconds startupTimeout{30000};
	std::chrono::milliseconds kernelStartTimeout{60000};
	bool rawMessages = true;   ///< offer the v1.kernel.websocket.jupyter.org subprotocol
	std::chrono::milliseconds heartbeatTimeout{10000};     ///< DIRECT: a ping unanswered this long kills the kernel; 0 = off
	std::map<std::string, int> spareKernels{{"python", 1}};   ///< language -> ready kernels kept for new contexts

	static JupyterSettings from(const ConfigReader& config);
		/// Missing keys keep the defaults above (serverCommand: jupyter-server on the
		/// PATH where there is one); malformed values, and a host that is not an
		/// http:// or https:// URL, throw ConfigurationException. spareKernels comes
		/// from JupyterModule (the keys under spareKernels are languages).
};


} } // namespace execd::jupyter
