#pragma once

#include "Kernel.h"
#include <memory>
#include <string>


namespace execd {
namespace jupyter {


class KernelHost
	/// Where the jupyter module's kernels come from: a Jupyter server, embedded or
	/// external (ServerHost), or execd's own kernel manager (DirectHost).
{
public:
	virtual ~KernelHost() = default;

	virtual std::string describe() const = 0;
		/// For the log: "direct", "embedded Jupyter server", ...

	virtual void start() = 0;
	virtual void stop() = 0;
		/// Ends every kernel it started; a start that waits gives up.

	virtual std::shared_ptr<Kernel> startKernel(const std::string& language, const std::string& specName, const std::string& cwd, const ResourceGroup::Ptr& pGroup) = 0;
		/// A new kernel of the kernelspec specName, in cwd (which exists), not yet
		/// known to be ready, in pGroup when that is not null. Throws
		/// Poco::Exception, or ApiException 400 when the kernel cannot be limited.

	virtual int generation() const = 0;
		/// Changes when every kernel was lost at once (a Jupyter server restarted).

	virtual bool endsKernelsAtStop() const = 0;
		/// Whether stop() ends every kernel it started (execd's own, or those of an
		/// embedded server); not those of an external server.

	virtual bool absent() const = 0;
		/// True when kernels cannot be had at all (no Jupyter in the image), which
		/// was logged already.
};


} } // namespace execd::jupyter
