#pragma once

#include "JupyterServer.h"
#include "JupyterSettings.h"
#include "KernelHost.h"


namespace execd {
namespace jupyter {


class ServerHost: public KernelHost
	/// Kernels in sessions of a Jupyter server: the one given by --jupyter-host,
	/// or one execd starts and restarts (module.jupyter.mode = server).
{
public:
	explicit ServerHost(const JupyterSettings& settings);

	// KernelHost
	std::string describe() const override;
	void start() override;
	void stop() override;
	std::shared_ptr<Kernel> startKernel(const std::string& language, const std::string& specName, const std::string& cwd, const ResourceGroup::Ptr& pGroup) override;
	int generation() const override;
	bool endsKernelsAtStop() const override;
	bool absent() const override;

private:
	JupyterSettings _settings;
	JupyterServer _server;
};


} } // namespace execd::jupyter
