#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>


namespace execd {
namespace isolation {


class Spawner
	/// One long-lived thread on which every session's bwrap is started. bwrap's
	/// --die-with-parent (PR_SET_PDEATHSIG) fires when the *thread* that forked it
	/// ends, and execd's HTTP worker threads end when they have been idle: a
	/// session started on one would be killed minutes later. The thread starts with
	/// the first call and ends with the module, after every session is gone.
{
public:
	Spawner();
	~Spawner();
		/// stop().

	Spawner(const Spawner&) = delete;
	Spawner& operator = (const Spawner&) = delete;

	void call(const std::function<void()>& work);
		/// Runs work on the thread and waits for it; rethrows what it throws.
		/// After stop(), throws Poco::IllegalStateException.

	void stop();
		/// Ends the thread once the work queued has run. Idempotent.

private:
	struct Task
	{
		const std::function<void()>* pWork;
		std::exception_ptr error;
		bool done = false;
	};

	void loop();

	std::mutex _mutex;
	std::condition_variable _wake;
	std::condition_variable _done;
	std::deque<Task*> _queue;
	bool _stopping = false;
	std::thread _thread;
};


} } // namespace execd::isolation
