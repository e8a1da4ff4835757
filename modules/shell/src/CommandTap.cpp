#include "CommandTap.h"
#include <algorithm>


namespace execd {
namespace shell {


namespace {


bool isFinal(const StreamEvent& event)
{
	return event.type == EventType::EXECUTION_COMPLETE || event.type == EventType::ERROR;
}


} // namespace


CommandTap::Follower::Next CommandTap::Follower::next(std::chrono::milliseconds wait)
{
	Next next;
	std::unique_lock<std::mutex> lock(_mutex);
	_arrived.wait_for(lock, wait, [this] { return !_queue.empty() || _dropped > 0 || _ended; });
	next.events.assign(std::make_move_iterator(_queue.begin()), std::make_move_iterator(_queue.end()));
	_queue.clear();
	_bytes = 0;
	next.dropped = _dropped;
	_dropped = 0;
	next.ended = _ended;
	return next;
}


CommandTap::CommandTap(EventSink& target):
	_target(target)
{
}


CommandTap::~CommandTap()
{
	end();
}


std::shared_ptr<CommandTap::Follower> CommandTap::attach()
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (_ended) return nullptr;
	auto pFollower = std::make_shared<Follower>();
	_followers.push_back(pFollower);
	_count.store(static_cast<int>(_followers.size()));
	return pFollower;
}


void CommandTap::detach(const std::shared_ptr<Follower>& pFollower)
{
	std::lock_guard<std::mutex> lock(_mutex);
	_followers.erase(std::remove(_followers.begin(), _followers.end(), pFollower), _followers.end());
	_count.store(static_cast<int>(_followers.size()));
}


void CommandTap::end()
{
	std::vector<std::shared_ptr<Follower>> followers;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (_ended) return;
		_ended = true;
		followers.swap(_followers);
		_count.store(0);
	}
	for (auto& pFollower: followers)
	{
		{
			std::lock_guard<std::mutex> lock(pFollower->_mutex);
			pFollower->_ended = true;
		}
		pFollower->_arrived.notify_all();
	}
}


void CommandTap::emit(const StreamEvent& event)
{
	_target.emit(event);
	if (_count.load(std::memory_order_relaxed) > 0) fanOut(event);
}


void CommandTap::emitAll(const std::vector<StreamEvent>& events)
{
	_target.emitAll(events);
	if (_count.load(std::memory_order_relaxed) > 0)
	{
		for (const StreamEvent& event: events) fanOut(event);
	}
}


bool CommandTap::isOpen() const
{
	// Open while anyone reads: a follower keeps the output flowing after the
	// command's own client has left.
	return _target.isOpen() || _count.load() > 0;
}


bool CommandTap::wantsOutcome() const
{
	return _target.wantsOutcome();
}


void CommandTap::fanOut(const StreamEvent& event)
{
	std::lock_guard<std::mutex> lock(_mutex);
	for (auto& pFollower: _followers)
	{
		{
			std::lock_guard<std::mutex> followerLock(pFollower->_mutex);
			// The final event always gets through: a follower learns how it ended.
			if ((pFollower->_bytes + event.text.size() > QUEUE_BYTES || pFollower->_queue.size() >= QUEUE_EVENTS) && !isFinal(event))
			{
				++pFollower->_dropped;
			}
			else
			{
				pFollower->_queue.push_back(event);
				pFollower->_bytes += event.text.size();
			}
		}
		pFollower->_arrived.notify_one();
	}
}


} } // namespace execd::shell
