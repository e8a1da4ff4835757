// How a java context drives its JVM: the runner's READY, RUN and STOP requests
// on fd 3, replies on fd 4 (JShellReply), and the JVM's stdout and stderr
// streamed while a run is under way.

#include "JvmContext.h"
#include "JShellReply.h"
#include "execd/ApiException.h"
#include "execd/CaptureSink.h"
#include "execd/StreamEvent.h"
#include <cerrno>
#include <csignal>
#include <sys/wait.h>
#include <unistd.h>


namespace execd {
namespace java {


namespace {


long long millisSince(std::chrono::steady_clock::time_point start)
{
	return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
}


} // namespace


JvmContext::JvmContext(std::string id, std::string cwd, const JavaSettings& settings, ResourceGroup::Ptr pGroup):
	_id(std::move(id)),
	_cwd(std::move(cwd)),
	_settings(settings),
	_pGroup(std::move(pGroup))
{
}


const std::string& JvmContext::id() const
{
	return _id;
}


const std::string& JvmContext::cwd() const
{
	return _cwd;
}


void JvmContext::start()
{
	std::lock_guard<std::mutex> lock(_processMutex);
	Subprocess::Options o;
	o.argv = {_settings.java};
	for (const auto& opt: _settings.jvmOptions) o.argv.push_back(opt);
	o.argv.insert(o.argv.end(), {"-Dexecd.maxCauses=" + std::to_string(JavaSettings::MAX_CAUSES), "-cp", _settings.classPath, "ExecdJShell"});
	o.env = Subprocess::environment();
	o.cwd = _cwd;
	o.control = true;
	o.group = _pGroup;
	_process.start(o);
	_pending.clear();
	std::string errors;
	if (!awaitReady(errors))
	{
		_process.signalGroup(SIGKILL);
		_process.wait();
		throw Poco::RuntimeException("the JVM did not start: " + (errors.empty() ? std::string("no answer") : errors));
	}
}


bool JvmContext::awaitReady(std::string& errors)
{
	// The runner's first line on fd 4, within the start timeout; what the JVM
	// says on stderr meanwhile explains a failure.
	CaptureSink capture(nullptr, 4096);
	OutputPump::Options options;
	options.deadline = std::chrono::steady_clock::now() + _settings.startTimeout;
	options.whenClientGone = OutputPump::WhenClientGone::KEEP_READING;
	options.stopGrace = std::chrono::milliseconds(0);
	OutputPump pump(_process, capture, options);
	pump.setFilters(std::make_unique<ChunkFilter>(EventType::STDOUT), std::make_unique<ChunkFilter>(EventType::STDERR));
	bool ready = false;
	pump.watch(_process.controlOut(), [this, &ready]
	{
		if (!readControl()) return OutputPump::Action::END;
		std::size_t eol = _pending.find('\n');
		if (eol == std::string::npos) return OutputPump::Action::CONTINUE;
		ready = _pending.compare(0, eol, "READY") == 0;
		_pending.erase(0, eol + 1);
		return OutputPump::Action::END;
	});
	pump.run();
	errors = capture.errors();
	return ready;
}


void JvmContext::run(const std::string& code, EventSink& sink)
{
	std::unique_lock<std::mutex> runLock(_runMutex, std::try_to_lock);
	if (!runLock.owns_lock()) throw ApiException::runtimeError("error running codes session is busy");
	bool restarted = false;
	if (!_process.running())
	{
		try
		{
			start();
			restarted = true;
		}
		catch (Poco::Exception& exc)
		{
			throw ApiException::runtimeError("error running codes " + exc.message());
		}
	}
	auto begin = std::chrono::steady_clock::now();
	std::optional<RunMeter> meter;
	if (sink.wantsOutcome()) meter.emplace(_process.pid(), _pGroup.get());
	_failed = false;
	sink.emit(StreamEvent::init(_id));
	if (restarted && _started)
		sink.emit(StreamEvent::stderrText("[execd] the JVM of this context had ended; this run starts a fresh one and earlier state is lost\n"));
	_started = true;
	// The JVM's output as it comes, one event a read, until the runner's DONE;
	// a JVM that exits, or closes its replies, has died.
	OutputPump::Options options;
	options.whenClientGone = OutputPump::WhenClientGone::KEEP_READING;
	OutputPump pump(_process, sink, options);
	pump.setFilters(std::make_unique<ChunkFilter>(EventType::STDOUT), std::make_unique<ChunkFilter>(EventType::STDERR));
	bool done = false;
	pump.watch(_process.controlOut(), [this, &pump, &sink, &done]
	{
		if (!readControl()) return OutputPump::Action::END;
		done = takeReplies(pump, sink);
		return done ? OutputPump::Action::END : OutputPump::Action::CONTINUE;
	});
	if (writeRequest("RUN " + std::to_string(code.size()) + "\n" + code))
		pump.run();
	if (!done)
	{
		died(pump, sink, begin, meter ? &*meter : nullptr);
		return;
	}
	// Output written before the reply is in the pipes already.
	pump.drain();
	StreamEvent last = StreamEvent::complete(millisSince(begin));
	if (meter) last.outcome = meter->completed(_failed);
	sink.emit(last);
}


void JvmContext::interrupt()
{
	writeRequest("STOP\n");
}


void JvmContext::stop()
{
	std::lock_guard<std::mutex> lock(_processMutex);
	if (_process.running())
	{
		_process.signalGroup(SIGKILL);
		_process.wait();
	}
}


bool JvmContext::readControl()
{
	char buffer[65536];
	ssize_t n;
	do
	{
		n = ::read(_process.controlOut(), buffer, sizeof(buffer));
	}
	while (n < 0 && errno == EINTR);
	if (n <= 0) return false;
	_pending.append(buffer, static_cast<std::size_t>(n));
	return true;
}


bool JvmContext::takeReplies(OutputPump& pump, EventSink& sink)
{
	JShellReply reply;
	while (JShellReply::take(_pending, reply))
	{
		if (reply.kind == JShellReply::DONE)
		{
			_count = reply.count;
			return true;
		}
		if (reply.kind == JShellReply::RESULT)
		{
			pump.drain();
			sink.emit(StreamEvent::count(_count + 1));
			Poco::JSON::Object::Ptr results = new Poco::JSON::Object;
			results->set("text", reply.body);
			sink.emit(StreamEvent::result(results));
		}
		else if (reply.kind == JShellReply::ERROR)
		{
			pump.drain();
			sink.emit(StreamEvent::status("error"));
			sink.emit(StreamEvent::failure(reply.error()));
			_failed = true;
		}
	}
	return false;
}


void JvmContext::died(OutputPump& pump, EventSink& sink, std::chrono::steady_clock::time_point begin, const RunMeter* pMeter)
{
	pump.drain();
	int status;
	std::optional<struct rusage> usage;
	{
		// stop() may be reaping it at the same time.
		std::lock_guard<std::mutex> lock(_processMutex);
		_process.signalGroup(SIGKILL);
		status = _process.wait();
		if (_process.usage()) usage = *_process.usage();
	}
	std::string how = WIFSIGNALED(status) ? "was killed by signal " + std::to_string(WTERMSIG(status)) : "exited with status " + std::to_string(WEXITSTATUS(status));
	sink.emit(StreamEvent::status("error"));
	sink.emit(StreamEvent::failure(ErrorDetail{"JvmDied", "the JVM of this context " + how + "; the next run starts a fresh one", {}, false}));
	StreamEvent last = StreamEvent::complete(millisSince(begin));
	if (pMeter) last.outcome = pMeter->died(status, usage ? &*usage : nullptr);
	sink.emit(last);
}


bool JvmContext::writeRequest(const std::string& request)
{
	std::lock_guard<std::mutex> lock(_writeMutex);
	return writeAll(_process.controlIn(), request);
}


bool JvmContext::writeAll(int fd, const std::string& data)
{
	std::size_t done = 0;
	while (done < data.size())
	{
		ssize_t n = ::write(fd, data.data() + done, data.size() - done);
		if (n < 0 && errno == EINTR) continue;
		if (n <= 0) return false;
		done += static_cast<std::size_t>(n);
	}
	return true;
}


} } // namespace execd::java
