#pragma once

#include "execd/EventSink.h"
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>


namespace execd {
namespace shell {


class CommandTap: public EventSink
	/// Passes the events of a foreground command to its client's sink, and a copy
	/// of each to every follower attached since (GET /command/{id}/events).
	///
	/// A follower's queue holds at most QUEUE_BYTES of text in QUEUE_EVENTS events: a follower that reads
	/// more slowly than the command writes loses the events beyond, counted, and
	/// is told so by a "truncated" event; the command and its own client never
	/// wait for a follower. Without followers an event costs one atomic load.
{
public:
	static constexpr std::size_t QUEUE_BYTES = 1024 * 1024;
	static constexpr std::size_t QUEUE_EVENTS = 16384;

	class Follower
	{
	public:
		struct Next
		{
			std::vector<StreamEvent> events;
			std::uint64_t dropped = 0;   ///< events lost before these
			bool ended = false;          ///< the command's final event was among them, or it ended
		};

		Next next(std::chrono::milliseconds wait);
			/// What arrived since the last call, waiting up to wait for something.

	private:
		friend class CommandTap;
		std::mutex _mutex;
		std::condition_variable _arrived;
		std::deque<StreamEvent> _queue;
		std::size_t _bytes = 0;
		std::uint64_t _dropped = 0;
		bool _ended = false;
	};

	explicit CommandTap(EventSink& target);
	~CommandTap() override;

	std::shared_ptr<Follower> attach();
		/// A follower of the events from now on; nothing once the command ended.

	void detach(const std::shared_ptr<Follower>& pFollower);

	void end();
		/// The command is done: every follower's next() reports ended.

	// execd::EventSink
	void emit(const StreamEvent& event) override;
	void emitAll(const std::vector<StreamEvent>& events) override;
	bool isOpen() const override;
	bool wantsOutcome() const override;

private:
	void fanOut(const StreamEvent& event);

	EventSink& _target;
	std::atomic<int> _count{0};
	std::mutex _mutex;
	std::vector<std::shared_ptr<Follower>> _followers;
	bool _ended = false;
};


} } // namespace execd::shell
