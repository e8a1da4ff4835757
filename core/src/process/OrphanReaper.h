#pragma once

#include "execd/Core.h"
#include <atomic>
#include <thread>


namespace execd {


class EXECD_API OrphanReaper
	/// When execd is PID 1 or a child subreaper, processes whose parents died are
	/// reparented to it and must be reaped, or they stay zombies. This thread waits
	/// for any exited child without reaping it (waitid WNOWAIT), and reaps it only
	/// if no module owns it (Process::own), so modules keep their exit statuses.
	/// In libexecd_core with the owned set it reads; exported for execd_daemon,
	/// which starts it, but this header is not installed: it is no module API.
{
public:
	OrphanReaper();
	~OrphanReaper();

	static bool needed();
		/// True when we are PID 1 or a subreaper.

private:
	void run();

	std::atomic<bool> _stop{false};
	std::thread _thread;
};


} // namespace execd
