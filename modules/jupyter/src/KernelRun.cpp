#include "KernelRun.h"
#include "KernelChannel.h"
#include <thread>


namespace execd {
namespace jupyter {


KernelRun::KernelRun(KernelContext& context, const std::string& code, EventSink& sink):
	_context(context),
	_sink(sink),
	_content(KernelChannel::executeRequest(code, true)),
	_start(std::chrono::steady_clock::now())
{
}


void KernelRun::execute(bool restartedNotice)
{
	_context._pKernel->watch();
	std::optional<RunMeter> meter;
	if (_sink.wantsOutcome()) meter.emplace(_context._pKernel->pid(), _context._pKernel->group().get());
	_sink.emit(StreamEvent::init(_context._id));
	if (restartedNotice)
		_sink.emit(StreamEvent::stderrText("[execd] the Jupyter server was restarted; this context runs in a new kernel and its earlier state is lost\n"));
	if (!_context._diedBetweenRuns.empty())
	{
		_sink.emit(StreamEvent::stderrText("[execd] since the last run, " + _context._diedBetweenRuns + "\n"));
		_context._diedBetweenRuns.clear();
	}
	try
	{
		send();
		while (_phase != Phase::DONE && _phase != Phase::FAILED) step();
		finish();
	}
	catch (Poco::Exception& exc)
	{
		// The connection dropped (kernel or server gone): end the run with an error
		// event now; the next run reconnects.
		_context.close();
		_died = _context._pKernel->gone();
		if (!_errorSent)
			fail(ErrorDetail{"KernelConnectionLost",
				"the connection to the kernel was lost (" + KernelContext::reason(exc) + "); the next run reconnects", {}, false});
	}
	StreamEvent last = StreamEvent::complete(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - _start).count());
	if (meter) last.outcome = outcome(*meter);
	_sink.emit(last);
}


RunOutcome KernelRun::outcome(const RunMeter& meter) const
{
	if (!_died) return meter.completed(_errorSent);
	// Execd's own kernel was reaped by execd by the time the run saw it gone;
	// one of a Jupyter server was not.
	int status = 0;
	struct rusage usage{};
	if (_context._pKernel->reaped(meter.pid(), status, usage)) return meter.died(status, &usage);
	return meter.died(std::nullopt, nullptr);
}


bool KernelRun::acknowledged() const
{
	return _phase != Phase::AWAITING_ACK;
}


bool KernelRun::replied() const
{
	return _phase == Phase::AWAITING_IDLE || _phase == Phase::DONE;
}


bool KernelRun::idle() const
{
	return _phase == Phase::AWAITING_REPLY || _phase == Phase::DONE;
}


void KernelRun::send()
{
	auto now = std::chrono::steady_clock::now();
	if (now < _context._quietUntil)
		std::this_thread::sleep_for(_context._quietUntil - now);   // tslab would abort the request
	transmit();
}


void KernelRun::resend()
{
	// ipykernel aborts requests for a moment after an error (stop_on_error),
	// and this one came right after the previous run's error or interrupt: it
	// did not run at all, so send it again.
	++_resent;
	std::this_thread::sleep_for(std::chrono::milliseconds(50 * _resent));
	transmit();
}


void KernelRun::transmit()
{
	_msgId = _context._pLink->nextId();
	_context._pLink->send("shell", "execute_request", _content, _msgId);
	_phase = Phase::AWAITING_ACK;
	_waitingSince = std::chrono::steady_clock::now();
}


void KernelRun::step()
{
	auto pMessage = _context._pLink->receive(std::chrono::milliseconds(_context._interruptedAt != 0 ? 100 : 250));
	const long long now = KernelContext::nowMillis();
	forwardInterrupt(now);
	if (overdue(now)) return;
	if (pMessage)
		onMessage(KernelMessage(pMessage));
	else
		onSilence();
}


void KernelRun::forwardInterrupt(long long now)
{
	// An interrupt counts only once the kernel runs this request: one sent
	// before (the client reacted to init) reaches an idle kernel, and ipykernel
	// ignores SIGINT until it has set up the execution, a moment after it says
	// busy. So it is sent again when the kernel is busy with this request, and
	// every half second while the run goes on.
	long long interruptedAt = _context._interruptedAt;
	if (interruptedAt == 0 || replied() || !acknowledged()) return;
	if (interruptedAt < _acknowledgedAt || now - interruptedAt >= 500)
	{
		_context.sendInterrupt();
		interruptedAt = _context._interruptedAt = now;
	}
	if (_deliveredAt == 0) _deliveredAt = interruptedAt;
}


bool KernelRun::overdue(long long now)
{
	if (_deliveredAt != 0 && !replied() && now - _deliveredAt > 2000)
	{
		// A kernel that restarts on an interrupt will never say idle for this
		// request: the next run must not wait its turn behind it for ever.
		if (_context._pKernel->restartsOnInterrupt() && _context._busyWith == _msgId) _context._busyWith.clear();
		return stop(ErrorDetail{"Interrupted", "the kernel did not end the run within 2 s of the interrupt; "
			"a kernel that restarts on an interrupt (ijavascript) loses the context's state", {}, false});
	}
	if (idle() && !replied() && now - _idleAt > (_deliveredAt != 0 ? 300 : 2000))
	{
		// The reply (shell) may come a little after idle (iopub), but not this
		// late: the kernel dropped the request. ipykernel does so when the
		// interrupt lands before the cell's code starts.
		if (_deliveredAt != 0)
			return stop(ErrorDetail{"Interrupted", "the kernel stopped the run at the interrupt, before it answered", {}, false});
		return stop(ErrorDetail{"KernelNoReply", "the kernel went idle without answering the request", {}, false});
	}
	if (!acknowledged() && _context._busyWith.empty() && std::chrono::steady_clock::now() - _waitingSince > std::chrono::seconds(10))
	{
		// A kernel announces every request it takes at once, or is busy with an
		// earlier one; silence this long means the request went nowhere (channels
		// of a replaced kernel).
		_context._restarted = true;
		_context.close();
		return stop(ErrorDetail{"KernelNotResponding", "the kernel did not take the request within 10 s; the next run reconnects", {}, false});
	}
	return false;
}


void KernelRun::onSilence()
{
	if (replied() && std::chrono::steady_clock::now() - _repliedAt > std::chrono::seconds(2))
	{
		// The reply came and the kernel's idle status did not: it was published
		// before our subscription caught up. The run is over.
		_phase = Phase::DONE;
		return;
	}
	if (_context._pKernel->gone())
		kernelDied(_context._pKernel->goneReason());
}


void KernelRun::kernelDied(const std::string& message)
{
	_died = true;
	_context._restarted = true;
	_context.close();             // the new kernel gets a fresh connection
	stop(ErrorDetail{"KernelDied", message, {}, false});
}


void KernelRun::onMessage(const KernelMessage& message)
{
	const std::string type = message.type();
	const std::string state = message.executionState();
	auto pContent = message.content();
	if (state == "restarting" || state == "dead")
	{
		// The kernel died under us; Jupyter restarts it (state is lost).
		kernelDied("the kernel died and was restarted; its state is lost");
		return;
	}
	// Only messages answering our request count: an idle status of another
	// request (Jupyter's own kernel_info nudge, say) must not end this run.
	const std::string parentId = message.parentId();
	if (type == "status" && pContent) trackBusy(state, parentId);
	if (parentId != _msgId || !pContent) return;
	if (!acknowledged())
	{
		_acknowledgedAt = KernelContext::nowMillis();
		_phase = Phase::RUNNING;
	}
	if (type == "stream")
		onStream(*pContent);
	else if (type == "execute_result" || type == "display_data")
		onResult(type, *pContent);
	else if (type == "error")
		fail(KernelMessage::error(*pContent, ""));
	else if (type == "execute_reply")
		onReply(*pContent);
	else if (state == "idle")
		onIdle();
}


void KernelRun::trackBusy(const std::string& state, const std::string& parentId)
{
	// What the kernel is busy with, across runs: an earlier run may have ended
	// for its client while the kernel still runs its request (after an interrupt
	// the code ignored); this one then waits its turn, and is not "not responding".
	if (state == "busy")
		_context._busyWith = parentId;
	else if (state == "idle" && parentId == _context._busyWith)
		_context._busyWith.clear();
	if (!acknowledged()) _waitingSince = std::chrono::steady_clock::now();
}


void KernelRun::onStream(const Poco::JSON::Object& content)
{
	std::string text = content.optValue<std::string>("text", "");
	if (text.empty()) return;
	if (_context._hooks && _context._hooks->marks(text))
	{
		_context._hooks->read(text, _hookResult, _hookError);
		return;
	}
	_sink.emit(content.optValue<std::string>("name", "stdout") == "stderr" ? StreamEvent::stderrText(text) : StreamEvent::stdoutText(text));
}


void KernelRun::onResult(const std::string& type, const Poco::JSON::Object& content)
{
	int count = content.optValue<int>("execution_count", 0);
	if (type == "execute_result" && count > 0) _sink.emit(StreamEvent::count(count));
	_sink.emit(StreamEvent::result(KernelMessage::results(content.getObject("data"))));
}


void KernelRun::onReply(const Poco::JSON::Object& content)
{
	_repliedAt = std::chrono::steady_clock::now();
	const std::string status = content.optValue<std::string>("status", "ok");
	const bool aborted = status == "aborted" || status == "abort";
	if (aborted && _resent < 3)
	{
		resend();
		return;
	}
	if (status == "error")
	{
		// Kept for the end: ijavascript replies before its error message arrives
		// on iopub, and tslab sends no error message at all.
		_replyError = ErrorDetail{content.optValue<std::string>("ename", "Error"), content.optValue<std::string>("evalue", ""), {}, false};
		if (_context._hooks) _context._quietUntil = _repliedAt + std::chrono::milliseconds(250);
	}
	else if (aborted)
		_replyError = ErrorDetail{"ExecutionAborted", "the kernel aborted the request", {}, false};
	else
		_replyCount = content.optValue<int>("execution_count", 0) - _context._countOffset;
	_phase = idle() ? Phase::DONE : Phase::AWAITING_IDLE;
}


void KernelRun::onIdle()
{
	_idleAt = KernelContext::nowMillis();
	_phase = replied() ? Phase::DONE : Phase::AWAITING_REPLY;
}


void KernelRun::finish()
{
	if (!_errorSent && (_hookError || _replyError))
	{
		fail(_hookError ? *_hookError : *_replyError);
	}
	else if (_hookResult && !_errorSent)
	{
		// tslab's value comes as output on iopub, which may arrive after the reply
		// on shell (measured: about one run in ten); the idle status comes after
		// all output, so by now it is here.
		if (_replyCount > 0) _sink.emit(StreamEvent::count(_replyCount));
		_sink.emit(StreamEvent::result(_hookResult));
	}
}


void KernelRun::fail(ErrorDetail detail)
{
	_sink.emit(StreamEvent::status("error"));
	_sink.emit(StreamEvent::failure(std::move(detail)));
	_errorSent = true;
}


bool KernelRun::stop(ErrorDetail detail)
{
	fail(std::move(detail));
	_phase = Phase::FAILED;
	return true;
}


} } // namespace execd::jupyter
