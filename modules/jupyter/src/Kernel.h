#pragma once

#include "KernelLink.h"
#include "execd/ResourceLimits.h"
#include <memory>
#include <string>
#include <sys/resource.h>
#include <sys/types.h>


namespace execd {
namespace jupyter {


class Kernel
	/// One kernel as a context sees it, wherever it runs: behind a Jupyter server
	/// (ServerKernel) or started by execd itself (DirectKernel). Its methods may
	/// be called from any thread.
{
public:
	virtual ~Kernel() = default;

	virtual std::unique_ptr<KernelLink> link() = 0;
		/// A connection to the kernel, not yet open unless the kernel kept one open
		/// (a spare: its channels are subscribed already).

	virtual void interrupt() = 0;
		/// Interrupts what the kernel is running, by signal or interrupt_request
		/// as it wants. Throws Poco::Exception when that fails.

	virtual void watch() = 0;
		/// At the start of a run: gone() reports on the kernel that runs now.

	virtual bool gone() = 0;
		/// True when the kernel watched died (or stopped answering) since watch().

	virtual std::string goneReason() const = 0;
		/// For a run's error event: what happened, and what becomes of the kernel.

	virtual void shutdown() = 0;
		/// Ends the kernel (for good). Throws Poco::Exception when that fails.

	virtual int generation() const = 0;
		/// The generation of the Jupyter server it was started by; 0 for execd's own.

	virtual pid_t pid();
		/// The kernel's process now, whose usage a run measures (RunMeter); 0 when
		/// it is not known (a remote Jupyter server).

	virtual bool reaped(pid_t pid, int& waitStatus, struct rusage& usage) const;
		/// How the kernel's process pid ended, when execd reaped it itself; false
		/// when it did not (yet), or pid is not the last one that ended.

	virtual bool restartsOnInterrupt() const;
		/// True when an interrupt makes the kernel drop the request it runs, never
		/// answering it (ijavascript restarts its session): nothing more is owed.

	virtual bool usable() const;
		/// False once the kernel is gone for good (it kept dying at start): a
		/// default context is then given a new one.

	virtual void setBackground(bool background);
		/// A spare starts and waits in the background (nice 10 more than execd), so
		/// that its start does not slow down the contexts that run; it is put back
		/// when handed out. Nothing for a kernel of a Jupyter server.

	const ResourceGroup::Ptr& group() const;
		/// The ResourceGroup the kernel's process runs in (a context created with
		/// "limits"), or null. Set by its host before the kernel is shared.

	void setGroup(ResourceGroup::Ptr pGroup);

private:
	ResourceGroup::Ptr _pGroup;
};


inline const ResourceGroup::Ptr& Kernel::group() const
{
	return _pGroup;
}


inline void Kernel::setGroup(ResourceGroup::Ptr pGroup)
{
	_pGroup = std::move(pGroup);
}


inline pid_t Kernel::pid()
{
	return 0;
}


inline bool Kernel::reaped(pid_t, int&, struct rusage&) const
{
	return false;
}


inline bool Kernel::restartsOnInterrupt() const
{
	return false;
}


inline bool Kernel::usable() const
{
	return true;
}


inline void Kernel::setBackground(bool)
{
}


} } // namespace execd::jupyter
