#pragma once

#include "JupyterClient.h"
#include "JupyterServer.h"
#include "JupyterSettings.h"
#include "KernelContext.h"
#include "execd/Executor.h"
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>


namespace execd {
namespace jupyter {


class KernelExecutor: public CodeExecutor
	/// Code contexts for every language a Jupyter kernel serves (python,
	/// javascript, typescript, ...), through the Jupyter server's REST and
	/// WebSocket APIs. Completion is driven by the kernel's own messages.
{
public:
	KernelExecutor(JupyterServer& server, std::map<std::string, std::string> kernels, const JupyterSettings& settings);
	~KernelExecutor() override;

	// execd::CodeExecutor
	ContextInfo createContext(const std::string& language, const std::string& cwd) override;
	std::vector<ContextInfo> listContexts() override;
	std::optional<ContextInfo> findContext(const std::string& id) override;
	bool deleteContext(const std::string& id) override;
	void run(const ExecRequest& request, EventSink& sink) override;
	bool interrupt(const std::string& id) override;

	const std::map<std::string, std::string>& kernels() const;

	void shutdown();

	void prewarm(const std::string& language);
		/// Creates the language's default context now, so that the first run does
		/// not wait for a kernel to start. Failures are logged.

private:
	std::shared_ptr<KernelContext> defaultContext(const std::string& language);
	std::shared_ptr<KernelContext> create(const std::string& language, const std::string& cwd);
	JupyterClient::Session startKernel(const std::string& language, const std::string& cwd);
		/// A new session with a kernel for the language, in cwd (created; "" = /tmp).
	std::shared_ptr<KernelContext> find(const std::string& id);
	std::shared_ptr<KernelContext> contextFor(const ExecRequest& request);
		/// The request's context, or the language's default one. Throws ApiException.
	void renew(KernelContext& context);
		/// After the Jupyter server was restarted: a new kernel for the context,
		/// and a notice for its next run. Throws ApiException.

	JupyterServer& _server;
	JupyterClient _client;
	std::map<std::string, std::string> _kernels;   ///< language -> kernelspec name
	JupyterSettings _settings;
	std::mutex _mutex;
	std::map<std::string, std::shared_ptr<KernelContext>> _contexts;
	std::map<std::string, std::string> _defaults;  ///< language -> context id
	std::map<std::string, bool> _notices;          ///< contexts given a new kernel: say so once
	std::mutex _defaultMutex;
};


} } // namespace execd::jupyter
