// How a java context drives its JVM: the runner's READY, RUN and STOP requests
// on fd 3, replies on fd 4 (JShellReply), and the JVM's stdout and stderr
// streamed while a run is under way.

#include "JvmContext.h"
#include "JShellReply.h"
#include "execd/ApiException.h"
#include "execd/StreamEvent.h"
#include <cerrno>
#include <csignal>
#include <poll.h>
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


JvmContext::JvmContext(std::string id, std::string cwd, const JavaSettings& settings):
	_id(std::move(id)),
	_cwd(std::move(cwd)),
	_settings(settings)
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
	o.argv.insert(o.argv.end(), {"-cp", _settings.classPath, "ExecdJShell"});
	o.env = Subprocess::environment();
	o.cwd = _cwd;
	o.control = true;
	_process.start(o);
	std::string line;
	if (!readReply(line, std::chrono::steady_clock::now() + _settings.startTimeout) || line != "READY")
	{
		_process.signalGroup(SIGKILL);
		_process.wait();
		throw Poco::RuntimeException("the JVM did not start: " + (_stderr.empty() ? std::string("no answer") : _stderr));
	}
	_stderr.clear();
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
	sink.emit(StreamEvent::init(_id));
	if (restarted && _started)
		sink.emit(StreamEvent::stderrText("[execd] the JVM of this context had ended; this run starts a fresh one and earlier state is lost\n"));
	_started = true;
	std::string request = "RUN " + std::to_string(code.size()) + "\n" + code;
	if (!writeRequest(request))
	{
		died(sink, begin);
		return;
	}
	std::string pending;   // control bytes not yet a whole reply
	for (;;)
	{
		struct pollfd fds[3] = {{_process.output(), POLLIN, 0}, {_process.errors(), POLLIN, 0}, {_process.controlOut(), POLLIN, 0}};
		int ready = ::poll(fds, 3, 250);
		if (ready < 0 && errno == EINTR) continue;
		if (fds[0].revents) forward(_process.output(), sink, false);
		if (fds[1].revents) forward(_process.errors(), sink, true);
		if (fds[2].revents)
		{
			char buffer[65536];
			ssize_t n = ::read(_process.controlOut(), buffer, sizeof(buffer));
			if (n <= 0)
			{
				died(sink, begin);
				return;
			}
			pending.append(buffer, static_cast<std::size_t>(n));
			bool done = false;
			while (parse(pending, sink, done))
			{
			}
			if (done)
			{
				// Output written before the reply is in the pipes already.
				drain(_process.output(), sink, false);
				drain(_process.errors(), sink, true);
				sink.emit(StreamEvent::complete(millisSince(begin)));
				return;
			}
		}
		int status;
		if (ready == 0 && _process.tryReap(status))
		{
			died(sink, begin);
			return;
		}
	}
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


bool JvmContext::parse(std::string& pending, EventSink& sink, bool& done)
{
	JShellReply reply;
	if (!JShellReply::take(pending, reply)) return false;
	if (reply.kind == JShellReply::DONE)
	{
		_count = reply.count;
		done = true;
		return false;
	}
	if (reply.kind == JShellReply::RESULT)
	{
		drain(_process.output(), sink, false);
		drain(_process.errors(), sink, true);
		sink.emit(StreamEvent::count(_count + 1));
		Poco::JSON::Object::Ptr results = new Poco::JSON::Object;
		results->set("text", reply.body);
		sink.emit(StreamEvent::result(results));
	}
	else if (reply.kind == JShellReply::ERROR)
	{
		drain(_process.output(), sink, false);
		drain(_process.errors(), sink, true);
		sink.emit(StreamEvent::status("error"));
		sink.emit(StreamEvent::failure(reply.error()));
	}
	return true;
}


void JvmContext::forward(int fd, EventSink& sink, bool error)
{
	char buffer[65536];
	ssize_t n = ::read(fd, buffer, sizeof(buffer));
	if (n > 0)
	{
		std::string text(buffer, static_cast<std::size_t>(n));
		sink.emit(error ? StreamEvent::stderrText(text) : StreamEvent::stdoutText(text));
	}
}


void JvmContext::drain(int fd, EventSink& sink, bool error)
{
	for (;;)
	{
		struct pollfd p{fd, POLLIN, 0};
		if (::poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN)) return;
		char buffer[65536];
		ssize_t n = ::read(fd, buffer, sizeof(buffer));
		if (n <= 0) return;
		std::string text(buffer, static_cast<std::size_t>(n));
		sink.emit(error ? StreamEvent::stderrText(text) : StreamEvent::stdoutText(text));
	}
}


void JvmContext::died(EventSink& sink, std::chrono::steady_clock::time_point begin)
{
	drain(_process.output(), sink, false);
	drain(_process.errors(), sink, true);
	_process.signalGroup(SIGKILL);
	int status = _process.wait();
	std::string how = WIFSIGNALED(status) ? "was killed by signal " + std::to_string(WTERMSIG(status)) : "exited with status " + std::to_string(WEXITSTATUS(status));
	sink.emit(StreamEvent::status("error"));
	sink.emit(StreamEvent::failure(ErrorDetail{"JvmDied", "the JVM of this context " + how + "; the next run starts a fresh one", {}, false}));
	sink.emit(StreamEvent::complete(millisSince(begin)));
}


bool JvmContext::readReply(std::string& line, std::chrono::steady_clock::time_point deadline)
{
	std::string buffer;
	while (std::chrono::steady_clock::now() < deadline)
	{
		struct pollfd fds[2] = {{_process.controlOut(), POLLIN, 0}, {_process.errors(), POLLIN, 0}};
		if (::poll(fds, 2, 100) <= 0) continue;
		if (fds[1].revents)
		{
			char b[4096];
			ssize_t n = ::read(_process.errors(), b, sizeof(b));
			if (n > 0 && _stderr.size() < 4096) _stderr.append(b, static_cast<std::size_t>(n));
		}
		if (fds[0].revents)
		{
			char c;
			ssize_t n = ::read(_process.controlOut(), &c, 1);
			if (n <= 0) return false;
			if (c == '\n')
			{
				line = buffer;
				return true;
			}
			buffer += c;
		}
	}
	return false;
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
