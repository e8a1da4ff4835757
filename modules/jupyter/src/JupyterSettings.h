#pragma once

#include "execd/ConfigReader.h"
#include <chrono>
#include <string>


namespace execd {
namespace jupyter {


struct JupyterSettings
	/// Settings under module.jupyter (see etc/execd.properties and JupyterModule).
{
	std::string host;                                       ///< external server; "" = embedded
	std::string token;
	std::string serverCommand = "/usr/bin/jupyter-server";
	std::chrono::milliseconds startupTimeout{30000};
	std::chrono::milliseconds kernelStartTimeout{60000};
	bool rawMessages = true;   ///< offer the v1.kernel.websocket.jupyter.org subprotocol

	static JupyterSettings from(const ConfigReader& config);
		/// Missing keys keep the defaults above (serverCommand: jupyter-server on the
		/// PATH where there is one); malformed values, and a host that is not an
		/// http:// or https:// URL, throw ConfigurationException.
};


} } // namespace execd::jupyter
