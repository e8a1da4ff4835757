#pragma once

#include "KernelContext.h"
#include "KernelMessage.h"
#include "execd/EventSink.h"
#include "execd/RunUsage.h"
#include "execd/StreamEvent.h"
#include "Poco/JSON/Object.h"
#include <chrono>
#include <optional>
#include <string>


namespace execd {
namespace jupyter {


class KernelRun
	/// One execution of code in a KernelContext (with its run lock held): sends the
	/// execute_request and turns the kernel's messages into events until the run
	/// is over. A small state machine over the request's phase:
	///
	///   AWAITING_ACK    sent; no message about it yet (the kernel may still be busy
	///                   with an earlier run's request)
	///   RUNNING         the kernel took it: its output becomes events
	///   AWAITING_IDLE   the reply came (shell), the idle status (iopub) not yet
	///   AWAITING_REPLY  the kernel went idle, the reply has not come
	///   DONE            replied and idle, or replied and silent for 2 s
	///   FAILED          an error event ended the run: the kernel died, did not take
	///                   the request within 10 s, went idle without replying, or did
	///                   not end the run within 2 s of an interrupt
	///
	/// A reply "aborted" (ipykernel, right after an earlier error) sends the request
	/// again, back to AWAITING_ACK, up to 3 times.
{
public:
	KernelRun(KernelContext& context, const std::string& code, EventSink& sink);

	void execute(bool restartedNotice);
		/// Emits init (and, with restartedNotice, a note that the kernel is new), the
		/// kernel's output, an error event when the run failed, and always
		/// execution_complete. A lost connection ends the run with an error event:
		/// the next run reconnects.

private:
	enum class Phase
	{
		AWAITING_ACK,
		RUNNING,
		AWAITING_IDLE,
		AWAITING_REPLY,
		DONE,
		FAILED
	};

	bool acknowledged() const;
	bool replied() const;
	bool idle() const;

	void send();
		/// The request, once tslab's quiet time after an error is over.
	void resend();
	void transmit();
	void step();
		/// One message, or one receive timeout.
	void forwardInterrupt(long long now);
	bool overdue(long long now);
		/// Ends the run (FAILED) when the kernel is past one of its deadlines.
	void onSilence();
	void onMessage(const KernelMessage& message);
	void trackBusy(const std::string& state, const std::string& parentId);
	void onStream(const Poco::JSON::Object& content);
	void onResult(const std::string& type, const Poco::JSON::Object& content);
	void onReply(const Poco::JSON::Object& content);
	void onIdle();
	void kernelDied(const std::string& message);
	RunOutcome outcome(const RunMeter& meter) const;
		/// The final event's outcome, for a client that reads it.
	void finish();
		/// After the loop: the error kept for the end, or tslab's value.
	void fail(ErrorDetail detail);
		/// Emits the error; the run goes on (an error message of the kernel's).
	bool stop(ErrorDetail detail);
		/// Emits the error and ends the run; returns true.

	KernelContext& _context;
	EventSink& _sink;
	Poco::JSON::Object::Ptr _content;
	const std::chrono::steady_clock::time_point _start;
	Phase _phase = Phase::AWAITING_ACK;
	std::string _msgId;
	bool _errorSent = false;
	std::optional<ErrorDetail> _replyError;   ///< from execute_reply: sent at the end unless the kernel sent an error message
	std::optional<ErrorDetail> _hookError;    ///< tslab: the error its executor printed
	Poco::JSON::Object::Ptr _hookResult;      ///< tslab: the last value, sent at the end with the reply's count
	int _replyCount = 0;                      ///< tslab: the reply's execution count, less execd's own executions
	std::chrono::steady_clock::time_point _repliedAt;
	std::chrono::steady_clock::time_point _waitingSince;   ///< for the kernel to take the request
	long long _acknowledgedAt = 0;   ///< steady clock, ms
	long long _deliveredAt = 0;      ///< the first interrupt sent while the kernel ran this request
	long long _idleAt = 0;           ///< the kernel went idle after this request
	int _resent = 0;                 ///< times the request was sent again after an abort
	bool _died = false;              ///< the kernel died during the run
};


} } // namespace execd::jupyter
