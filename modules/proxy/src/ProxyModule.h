#pragma once

#include "ProxyHandler.h"
#include "execd/Module.h"


namespace execd {
namespace proxy {


class ProxyModule: public Module
	/// /proxy/{port}/{path...} to 127.0.0.1:{port}: how the SDK reaches execd (and
	/// any port in the sandbox) from outside a bridge network.
	///
	///     module.proxy.idleTimeoutMillis = 600000   # 1 s .. 24 h: an upstream read, write or tunnel without progress
	///     module.proxy.bodyTimeoutMillis = 60000    # 100 ms .. 1 h: a request body read without progress (408)
{
public:
	std::string name() const override;
	void configure(ModuleContext& context) override;
	std::vector<Route> routes() override;
	void start() override;
	void shutdown() override;

private:
	ProxySettings _settings;
};


} } // namespace execd::proxy
