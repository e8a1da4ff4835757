#pragma once

#include <atomic>
#include <thread>


namespace execd {


class OrphanReaper
	/// When execd is PID 1 or a child subreaper, processes whose parents died are
	/// reparented to it and must be reaped, or they stay zombies. This thread waits
	/// for any exited child without reaping it (waitid WNOWAIT), and reaps it only
	/// if no module owns it (Process::own), so modules keep their exit statuses.
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
