#pragma once

#include "JupyterSettings.h"
#include "KernelContext.h"
#include "KernelHost.h"
#include "execd/Executor.h"
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>


namespace execd {
namespace jupyter {


class KernelExecutor: public CodeExecutor
	/// Code contexts for every language a Jupyter kernel serves (python,
	/// javascript, typescript, ...), each with a kernel of the KernelHost.
	/// Completion is driven by the kernel's own messages.
	///
	/// Spares: for a language with spareKernels > 0, that many contexts are kept
	/// started and ready (kernel_info answered, tslab's hooks in) in the default
	/// directory, /tmp, with no user code run. A new context takes one: its
	/// directory is applied by a silent first cell (KernelContext::chdirCode), so
	/// it sees os.getcwd() / process.cwd() as asked, while the kernel process was
	/// started in /tmp (its PWD variable says so). The pool refills in the
	/// background, one kernel at a time, the spare at a nice value 10 above execd's
	/// until it is handed out (Kernel::setBackground).
{
public:
	KernelExecutor(KernelHost& host, std::map<std::string, std::string> kernels, const JupyterSettings& settings);
	~KernelExecutor() override;

	// execd::CodeExecutor
	ContextInfo createContext(const std::string& language, const std::string& cwd) override;
	ContextInfo createLimitedContext(const std::string& language, const std::string& cwd, const ResourceGroup::Ptr& pGroup) override;
		/// Never a spare: a kernel of its own, started in pGroup.
	std::vector<ContextInfo> listContexts() override;
	std::optional<ContextInfo> findContext(const std::string& id) override;
	bool deleteContext(const std::string& id) override;
	void run(const ExecRequest& request, EventSink& sink) override;
	bool interrupt(const std::string& id) override;

	const std::map<std::string, std::string>& kernels() const;

	void shutdown();
		/// Runs end with an error event; the spares' thread stops.

	void prewarm(const std::string& language);
		/// Creates the language's default context now, so that the first run does
		/// not wait for a kernel to start. Failures are logged.

	void startSpares();
		/// Starts the thread that keeps the spares.

	std::size_t spares(const std::string& language);
		/// The spares ready now.

	static const std::string DEFAULT_DIRECTORY;   ///< "/tmp": a context's without a cwd, and the spares'

private:
	std::shared_ptr<KernelContext> defaultContext(const std::string& language);
	std::shared_ptr<KernelContext> create(const std::string& language, const std::string& cwd);
	std::shared_ptr<KernelContext> launch(const std::string& language, const std::string& cwd, const std::string& directory, bool spare = false, const ResourceGroup::Ptr& pGroup = nullptr);
		/// A new kernel in directory, and its context once ready.
	std::shared_ptr<KernelContext> takeSpare(const std::string& language, const std::string& cwd, const std::string& directory);
	std::shared_ptr<Kernel> startKernel(const std::string& language, const std::string& directory, const ResourceGroup::Ptr& pGroup = nullptr);
	static std::string directoryFor(const std::string& cwd);
		/// cwd without a trailing '/', or DEFAULT_DIRECTORY; created (as upstream does).
	std::shared_ptr<KernelContext> find(const std::string& id);
	std::shared_ptr<KernelContext> contextFor(const ExecRequest& request);
		/// The request's context, or the language's default one. Throws ApiException.
	void renew(KernelContext& context);
		/// After the Jupyter server was restarted: a new kernel for the context,
		/// and a notice for its next run. Throws ApiException.
	void keepSpares();
		/// The spares' thread.
	std::optional<std::string> spareWanted();   // with _spareMutex held
	static void discard(const std::shared_ptr<KernelContext>& pContext);

	KernelHost& _host;
	std::map<std::string, std::string> _kernels;   ///< language -> kernelspec name
	JupyterSettings _settings;
	std::mutex _mutex;
	std::map<std::string, std::shared_ptr<KernelContext>> _contexts;
	std::map<std::string, std::string> _defaults;  ///< language -> context id
	std::map<std::string, bool> _notices;          ///< contexts given a new kernel: say so once
	std::mutex _defaultMutex;

	std::mutex _spareMutex;
	std::condition_variable _spareChanged;
	std::map<std::string, std::vector<std::shared_ptr<KernelContext>>> _spares;
	std::map<std::string, std::chrono::steady_clock::time_point> _spareRetry;   ///< after a failed start
	std::thread _spareThread;
	std::atomic<bool> _stopping{false};
	std::set<std::shared_ptr<KernelContext>> _starting;   ///< waiting for their kernel (with _mutex)
};


} } // namespace execd::jupyter
