#include "DirectKernel.h"
#include "DirectHost.h"
#include "KernelSecrets.h"
#include "KernelWire.h"
#include "ZmqLink.h"
#include "Poco/Exception.h"
#include "Poco/JSON/Object.h"
#include "Poco/Logger.h"
#include "Poco/UUIDGenerator.h"
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <netinet/in.h>
#include <poll.h>
#include <sstream>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>


namespace execd {
namespace jupyter {


namespace {


std::vector<int> freePorts(int count)
	// Loopback ports free now, all different, as jupyter_client picks them. The
	// kernel binds them a moment later; one taken meanwhile makes it die at start,
	// and the next incarnation gets new ones.
{
	std::vector<int> sockets;
	std::vector<int> ports;
	for (int i = 0; i < count; ++i)
	{
		int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) break;
		sockets.push_back(fd);
		sockaddr_in address{};
		address.sin_family = AF_INET;
		address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		socklen_t length = sizeof(address);
		if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) break;
		if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) break;
		ports.push_back(ntohs(address.sin_port));
	}
	const int error = errno;
	for (int fd: sockets) ::close(fd);
	if (static_cast<int>(ports.size()) != count) throw Poco::SystemException("cannot find free loopback ports for a kernel", error);
	return ports;
}


std::string program(const KernelSpec& spec, const std::string& name)
	// jupyter_client runs a spec's bare "python3" with its own interpreter. Here the
	// interpreter of the prefix the spec was installed in stands for it
	// (<prefix>/share/jupyter/kernels/<name> -> <prefix>/bin/python3), so that a
	// kernel of /usr/share/jupyter is not started by another python3 on the PATH.
{
	if (name.find('/') != std::string::npos || name.rfind("python", 0) != 0) return name;
	const std::string marker = "/share/jupyter/kernels/";
	std::size_t at = spec.directory.rfind(marker);
	if (at == std::string::npos) return name;
	std::string candidate = spec.directory.substr(0, at) + "/bin/" + name;
	return ::access(candidate.c_str(), X_OK) == 0 ? candidate : name;
}


std::string connectionJson(const DirectKernel::Endpoint& ep, const std::string& name)
{
	Poco::JSON::Object o;
	o.set("shell_port", ep.shellPort);
	o.set("iopub_port", ep.iopubPort);
	o.set("stdin_port", ep.stdinPort);
	o.set("control_port", ep.controlPort);
	o.set("hb_port", ep.hbPort);
	o.set("ip", ep.ip);
	o.set("key", ep.key);
	o.set("transport", "tcp");
	o.set("signature_scheme", "hmac-sha256");
	o.set("kernel_name", name);
	std::ostringstream out;
	o.stringify(out);
	return out.str();
}


} // namespace


DirectKernel::DirectKernel(DirectHost& host, KernelSpec spec, std::string cwd):
	_host(host),
	_spec(std::move(spec)),
	_cwd(std::move(cwd)),
	_id(newSessionId())
{
}


DirectKernel::~DirectKernel()
{
	// Subprocess kills and reaps a process still running.
	removeFiles();
}


std::string DirectKernel::newSessionId()
{
	return Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
}


void DirectKernel::launch()
{
	std::lock_guard<std::mutex> lock(_mutex);
	start();
	_watched = _endpoint.incarnation;   // gone() is about what happens from here on
}


void DirectKernel::start()
{
	std::vector<int> ports = freePorts(5);
	_endpoint.ip = "127.0.0.1";
	_endpoint.shellPort = ports[0];
	_endpoint.iopubPort = ports[1];
	_endpoint.stdinPort = ports[2];
	_endpoint.controlPort = ports[3];
	_endpoint.hbPort = ports[4];
	if (_endpoint.key.empty()) _endpoint.key = KernelSecrets::randomHex(32);
	removeFiles();
	const std::string directory = _host.directory();
	if (directory.empty()) throw Poco::IllegalStateException("execd is shutting down");
	_connectionFile = directory + "/kernel-" + _id + ".json";
	_logFile = directory + "/kernel-" + _id + ".log";
	KernelSecrets::writePrivate(_connectionFile, connectionJson(_endpoint, _spec.name));

	Subprocess::Options options;
	options.argv = _spec.command(_connectionFile);
	options.argv[0] = program(_spec, options.argv[0]);
	options.searchPath = options.argv[0].find('/') == std::string::npos;
	options.env = KernelSecrets::environment();
	for (const auto& e: _spec.env)
	{
		const std::string prefix = e.first + "=";
		options.env.erase(std::remove_if(options.env.begin(), options.env.end(),
			[&prefix](const std::string& entry) { return entry.rfind(prefix, 0) == 0; }), options.env.end());
		options.env.push_back(prefix + e.second);
	}
	// ipykernel ends itself when execd goes away (and it is reparented).
	options.env.push_back("JPY_PARENT_PID=" + std::to_string(::getpid()));
	options.env.push_back("PYDEVD_DISABLE_FILE_VALIDATION=1");   // as the embedded server: no debugger warning at start
	options.cwd = _cwd;
	int log = ::open(_logFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (log < 0) throw Poco::SystemException("cannot create " + _logFile, errno);
	options.output = Subprocess::Output::DESCRIPTOR;
	options.outputDescriptor = log;
	options.group = group();
	try
	{
		_process.start(options);
	}
	catch (...)
	{
		::close(log);
		removeFiles();
		throw;
	}
	::close(log);
	_pControl.reset();
	_silent = false;
	_startedAt = std::chrono::steady_clock::now();
	++_endpoint.incarnation;
	if (_background) applyPriority();   // before it starts threads, which inherit it
	Poco::Logger::get("execd.jupyter").debug("kernel %s (%s) started, pid %d", _id, _spec.name, static_cast<int>(_process.pid()));
}


std::unique_ptr<KernelLink> DirectKernel::link()
{
	return std::make_unique<ZmqLink>(shared_from_this());
}


void DirectKernel::interrupt()
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (_lost || !_process.running()) throw Poco::IllegalStateException("the kernel is not running");
	if (_spec.interruptByMessage)
	{
		try
		{
			sendControl("interrupt_request");
		}
		catch (zmq::error_t& exc)
		{
			throw Poco::IOException(std::string("cannot send interrupt_request: ") + exc.what());
		}
	}
	else if (_spec.restartsOnInterrupt())
	{
		// One signal per restart: another during its session's restart wedges it.
		const auto now = std::chrono::steady_clock::now();
		if (now - _interruptedAt < std::chrono::seconds(3)) return;
		_interruptedAt = now;
		::kill(_process.pid(), SIGINT);
	}
	else
		_process.signalGroup(SIGINT);   // as jupyter_client: the kernel's children too
}


void DirectKernel::sendControl(const std::string& type)
{
	if (!_pControl)
	{
		_pControl = std::make_unique<zmq::socket_t>(_host.zmqContext(), zmq::socket_type::dealer);
		_pControl->set(zmq::sockopt::linger, 0);
		_pControl->connect("tcp://" + _endpoint.ip + ":" + std::to_string(_endpoint.controlPort));
	}
	const std::string content = type == "shutdown_request" ? "{\"restart\":false}" : "{}";
	ZmqLink::sendFrames(*_pControl, KernelWire(_endpoint.key).encode(ZmqLink::message("execd-" + _id, type, newSessionId(), content)),
		zmq::send_flags::dontwait);
}


void DirectKernel::watch()
{
	std::lock_guard<std::mutex> lock(_mutex);
	_watched = _endpoint.incarnation;
}


bool DirectKernel::gone()
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _lost || _endpoint.incarnation != _watched || !_process.running();
}


std::string DirectKernel::goneReason() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	std::string why = _why.empty() ? std::string("the kernel died") : _why;
	return why + (_lost ? "; it died at start too often and is not restarted" : "; execd restarts it and its state is lost");
}


void DirectKernel::shutdown()
{
	_host.unwatch(*this);
	requestShutdown();
	finish(std::chrono::steady_clock::now() + std::chrono::seconds(1));
}


int DirectKernel::generation() const
{
	return 0;
}


bool DirectKernel::heartbeatWhileBusy() const
{
	for (const std::string& arg: _spec.argv)
		if (arg.find("tslab") != std::string::npos) return false;
	return true;
}


bool DirectKernel::restartsOnInterrupt() const
{
	return _spec.restartsOnInterrupt();
}


bool DirectKernel::usable() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return !_lost;
}


void DirectKernel::setBackground(bool background)
{
	if (background && !DirectHost::canRestorePriority()) return;   // it would stay slow
	std::lock_guard<std::mutex> lock(_mutex);
	_background = background;
	applyPriority();
}


void DirectKernel::applyPriority()
{
	// Linux keeps a nice value per thread: each of the kernel's, from /proc.
	if (!_process.running()) return;
	errno = 0;
	const int own = ::getpriority(PRIO_PROCESS, 0);
	if (own == -1 && errno != 0) return;
	const int nice = _background ? std::min(own + 10, 19) : own;
	const std::string dir = "/proc/" + std::to_string(_process.pid()) + "/task";
	DIR* tasks = ::opendir(dir.c_str());
	if (!tasks) return;
	while (struct dirent* entry = ::readdir(tasks))
	{
		const int tid = std::atoi(entry->d_name);
		if (tid > 0 && ::setpriority(PRIO_PROCESS, static_cast<id_t>(tid), nice) != 0 && errno != ESRCH)
			Poco::Logger::get("execd.jupyter").warning("could not set the priority of kernel %s: %s", _id, std::string(std::strerror(errno)));
	}
	::closedir(tasks);
}


const KernelSpec& DirectKernel::spec() const
{
	return _spec;
}


int DirectKernel::incarnation() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _endpoint.incarnation;
}


DirectKernel::Endpoint DirectKernel::endpoint() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (_lost) throw Poco::IllegalStateException(_why.empty() ? std::string("the kernel was shut down") : _why);
	return _endpoint;
}


zmq::context_t& DirectKernel::zmqContext()
{
	return _host.zmqContext();
}


void DirectKernel::badSignature(const std::string& channel)
{
	const unsigned long count = _host.badSignature();
	Poco::Logger::get("execd.jupyter").warning("dropped a message with a bad signature on %s of kernel %s (%lu so far)", channel, _id, count);
}


void DirectKernel::requestShutdown()
{
	std::lock_guard<std::mutex> lock(_mutex);
	const bool running = !_lost && _process.running();
	_lost = true;
	if (_why.empty()) _why = "the kernel was shut down";
	if (!running) return;
	try
	{
		sendControl("shutdown_request");
	}
	catch (zmq::error_t&)
	{
		// Killed by finish().
	}
}


void DirectKernel::finish(std::chrono::steady_clock::time_point deadline)
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (_process.running())
	{
		pollfd p{_process.exitDescriptor(), POLLIN, 0};
		for (;;)
		{
			auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
			if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) != 0) break;
		}
		// The kernel's children (ijavascript's session) go with it, also those
		// that left its group.
		_process.killDescendants();
		noteEnd(_process.wait());
	}
	_pControl.reset();
	removeFiles();
}


void DirectKernel::noteEnd(int waitStatus)
{
	// A status lost to another reaper (WAIT_FAILED, no usage) is not kept.
	const struct rusage* pUsage = _process.usage();
	_endedPid = pUsage ? _process.pid() : 0;
	_endedStatus = waitStatus;
	_endedUsage = pUsage ? *pUsage : rusage{};
}


pid_t DirectKernel::pid()
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _process.running() ? _process.pid() : 0;
}


bool DirectKernel::reaped(pid_t pid, int& waitStatus, struct rusage& usage) const
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (pid <= 0 || pid != _endedPid) return false;
	waitStatus = _endedStatus;
	usage = _endedUsage;
	return true;
}


int DirectKernel::exitDescriptor() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _process.running() ? _process.exitDescriptor() : -1;
}


void DirectKernel::exited()
{
	std::lock_guard<std::mutex> lock(_mutex);
	// What it left in its group goes too; signalled before the reap, while the
	// zombie still holds the group's id.
	_process.signalGroup(SIGKILL);
	int status = 0;
	if (!_process.tryReap(status)) return;
	noteEnd(status);
	int code = 0;
	const std::string how = Subprocess::describeExit(status, code);
	if (_lost) return;
	const bool quick = std::chrono::steady_clock::now() - _startedAt < std::chrono::seconds(5);
	_quickDeaths = quick ? _quickDeaths + 1 : 0;
	_why = _silent ? std::string("the kernel stopped answering its heartbeat") : "the kernel died (" + how + ")";
	Poco::Logger& logger = Poco::Logger::get("execd.jupyter");
	logger.warning("kernel %s (%s) ended: %s%s", _id, _spec.name, how, quick ? startFailure() : std::string());
	if (_quickDeaths >= 5)
	{
		_lost = true;
		_why = "the kernel " + _spec.name + " died at start 5 times in a row (" + how + ")" + startFailure();
		logger.error("%s; it is not started again", _why);
		removeFiles();
		return;
	}
	try
	{
		start();
	}
	catch (Poco::Exception& exc)
	{
		_lost = true;
		_why = "the kernel could not be started again: " + exc.displayText();
		logger.error(_why);
	}
}


void DirectKernel::heartbeatLost(int incarnation)
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (_lost || !_process.running() || incarnation != _endpoint.incarnation) return;
	_silent = true;
	Poco::Logger::get("execd.jupyter").warning("kernel %s (%s) stopped answering its heartbeat: killing it", _id, _spec.name);
	_process.signalGroup(SIGKILL);
}


void DirectKernel::removeFiles()
{
	if (!_connectionFile.empty()) ::unlink(_connectionFile.c_str());
	if (!_logFile.empty()) ::unlink(_logFile.c_str());
}


std::string DirectKernel::startFailure() const
{
	// The last lines the kernel wrote, at most 1 KB, on one line.
	std::ifstream in(_logFile);
	std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
	if (text.size() > 1024) text = text.substr(text.size() - 1024);
	while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
	if (text.empty()) return "";
	for (char& c: text)
		if (c == '\n') c = '|';
	return ": " + text;
}


} } // namespace execd::jupyter
