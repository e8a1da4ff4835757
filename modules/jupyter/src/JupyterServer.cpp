#include "JupyterServer.h"
#include "KernelReaper.h"
#include "KernelSecrets.h"
#include "execd/Process.h"
#include "Poco/Exception.h"
#include "Poco/File.h"
#include "Poco/Logger.h"
#include "Poco/Net/HTTPClientSession.h"
#include "Poco/Net/HTTPRequest.h"
#include "Poco/Net/ServerSocket.h"
#include "Poco/RandomStream.h"
#include "Poco/NullStream.h"
#include "Poco/StreamCopier.h"
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>



namespace execd {
namespace jupyter {


namespace {


int freePort()
{
	Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
	return socket.address().port();
}


std::string serverConfig(const std::string& token)
	// The embedded server's config file (0600, passed with --config).
{
	return
		// The token is read from here, not from the command line, which any
		// user can read in /proc, nor from the environment, which kernels inherit.
		"c.ServerApp.token = '" + token + "'\n"
		"import ctypes, os, signal, sys\n"
		// Only what execd uses: no contents, files, view, nbconvert, config,
		// shutdown or login handlers, so even a client with the token cannot
		// read or write files through the server.
		"from jupyter_server.serverapp import ServerApp\n"
		"ServerApp.default_services = ('api', 'kernels', 'kernelspecs', 'sessions')\n"
		// root_dir is an empty private directory; a session's path is the
		// absolute directory its kernel runs in (the context's cwd).
		"from jupyter_server.services.contents.filemanager import FileContentsManager\n"
		"def _kernel_path(self, path, model=None):\n"
		"    return path.rsplit('/', 1)[0] if '/' in path else ''\n"
		"FileContentsManager.get_kernel_path = _kernel_path\n"
		"from jupyter_server.services.kernels.kernelmanager import MappingKernelManager\n"
		"def _cwd_for_path(self, path, **kwargs):\n"
		"    d = os.path.normpath('/' + path.strip('/'))\n"
		"    while not os.path.isdir(d) and d != '/':\n"
		"        d = os.path.dirname(d)\n"
		"    return d\n"
		"MappingKernelManager.cwd_for_path = _cwd_for_path\n"
		// jupyter-server 1.23 never sets TCP_NODELAY on kernel WebSockets: with
		// delayed ACKs every execute would cost 40 ms more (see ENVIRONMENT.md).
		"from jupyter_server.services.kernels.handlers import ZMQChannelsHandler as H\n"
		"_open = H.open\n"
		"def _nodelay_open(self, *a, **k):\n"
		"    self.set_nodelay(True)\n"
		"    return _open(self, *a, **k)\n"
		"H.open = _nodelay_open\n"
		// A server whose execd is gone (even by SIGKILL) shuts itself and its
		// kernels down instead of living on as an orphan.
		"ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG\n"
		"if os.getppid() != int(os.environ.get('EXECD_PID', '0')):\n"
		"    sys.exit(0)\n";
}




} // namespace


JupyterServer::JupyterServer(const JupyterSettings& settings):
	_settings(settings),
	_embedded(settings.host.empty())
{
	if (_embedded)
	{
		_token = KernelSecrets::randomHex(24);
		// Everything of the server's lives in one directory only root can enter:
		// its config (with the token), its runtime files (connection files with
		// the kernels' HMAC keys, the cookie secret, jpserver-*.json with the
		// token), its log, and the empty directory it serves as root_dir.
		char dir[] = "/tmp/execd-jupyter-XXXXXX";
		if (!::mkdtemp(dir)) throw Poco::SystemException("cannot create a directory for the Jupyter server");
		_directory = dir;
		for (const char* sub: {"/root", "/runtime"})
		{
			if (::mkdir((_directory + sub).c_str(), 0700) != 0)
				throw Poco::SystemException("cannot create " + _directory + sub);
		}
		KernelSecrets::writePrivate(_directory + "/jupyter_server_config.py", serverConfig(_token));
	}
	else
	{
		_token = settings.token;
		_uri = Poco::URI(settings.host);
		_ready = true;
	}
}


JupyterServer::~JupyterServer()
{
	stop();
	if (!_directory.empty())
	{
		try
		{
			Poco::File(_directory).remove(true);
		}
		catch (...)
		{
		}
	}
}


bool JupyterServer::rawMessages() const
{
	return _settings.rawMessages;
}


const std::string& JupyterServer::token() const
{
	return _token;
}


int JupyterServer::generation() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _generation;
}


void JupyterServer::start()
{
	if (!_embedded) return;
	_thread = std::thread([this] { supervise(); });
}


void JupyterServer::stop()
{
	pid_t pid = -1;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_stopping = true;
		pid = _pid;
	}
	_changed.notify_all();
	if (pid > 0)
	{
		// A moment to shut its kernels down, then no more: execd's own shutdown
		// has a deadline. Kernels left behind are execd's descendants and are
		// killed with the rest.
		::kill(-pid, SIGTERM);
		std::unique_lock<std::mutex> lock(_mutex);
		if (!_changed.wait_for(lock, std::chrono::milliseconds(300), [this] { return _pid < 0; }))
			::kill(-pid, SIGKILL);
	}
	if (_thread.joinable()) _thread.join();
}


void JupyterServer::failed(const std::string& failure, bool absent)
{
	// The supervisor tries again (on the next request when the command is
	// missing, else with backoff up to every 10 s): the log says each reason once.
	if (failure != _failure)
	{
		Poco::Logger& logger = Poco::Logger::get("execd.jupyter");
		if (absent) logger.information(failure);
		else logger.error(failure);
	}
	_failure = failure;
	_absent = absent;
	++_failures;
	_changed.notify_all();
}


bool JupyterServer::launch()
{
	Poco::Logger::get("execd.jupyter").debug("starting %s", _settings.serverCommand);
	int port = freePort();
	const std::string log = _directory + "/jupyter-server.log";
	int rc = spawn(port, log);
	if (rc != 0)
	{
		std::lock_guard<std::mutex> lock(_mutex);
		std::string failure = "cannot start " + _settings.serverCommand + ": " + std::strerror(rc);
		const bool absent = rc == ENOENT || rc == EACCES || rc == ENOEXEC || rc == ENOTDIR;
		if (absent)
			failure = "no Jupyter server in this image (" + failure + "): python, javascript and typescript need one "
				"(install jupyter-server, set module.jupyter.serverCommand, or give --jupyter-host / JUPYTER_HOST)";
		failed(failure, absent);
		return false;
	}
	Poco::URI uri("http://127.0.0.1:" + std::to_string(port));
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_pid = _server.pid();
		_uri = uri;
	}
	return awaitAnswer(uri, log);
}


int JupyterServer::spawn(int port, const std::string& log)
{
	// No secret on the command line: the token is in the 0600 config file; nor
	// in its environment (kernels inherit it).
	Subprocess::Options options;
	options.argv = {_settings.serverCommand, "--ip=127.0.0.1", "--port=" + std::to_string(port),
		"--no-browser", "--allow-root", "--ServerApp.root_dir=" + _directory + "/root",
		"--ServerApp.port_retries=0", "--ServerApp.limit_rate=False", "--config=" + _directory + "/jupyter_server_config.py"};
	options.env = KernelSecrets::environment();
	options.env.push_back("PYDEVD_DISABLE_FILE_VALIDATION=1");
	options.env.push_back("JUPYTER_RUNTIME_DIR=" + _directory + "/runtime");
	options.env.push_back("EXECD_PID=" + std::to_string(::getpid()));
	int logFd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (logFd < 0) return errno;
	options.output = Subprocess::Output::DESCRIPTOR;
	options.outputDescriptor = logFd;
	int rc = 0;
	try
	{
		_server.start(options);
	}
	catch (Poco::SystemException& exc)
	{
		rc = exc.code() ? exc.code() : EINVAL;
	}
	::close(logFd);
	return rc;
}


bool JupyterServer::awaitAnswer(const Poco::URI& uri, const std::string& log)
{
	Poco::Logger& logger = Poco::Logger::get("execd.jupyter");
	auto deadline = std::chrono::steady_clock::now() + _settings.startupTimeout;
	while (std::chrono::steady_clock::now() < deadline)
	{
		int status = 0;
		if (_server.tryReap(status))
		{
			std::lock_guard<std::mutex> lock(_mutex);
			_pid = -1;
			failed("the Jupyter server exited during startup; see " + log, false);
			return false;
		}
		if (answers(uri))
		{
			std::lock_guard<std::mutex> lock(_mutex);
			_ready = true;
			++_generation;
			_failure.clear();
			logger.information("Jupyter server ready at %s (pid %d, log %s)", uri.toString(), static_cast<int>(_server.pid()), log);
			_changed.notify_all();
			return true;
		}
		std::unique_lock<std::mutex> lock(_mutex);
		if (_changed.wait_for(lock, std::chrono::milliseconds(50), [this] { return _stopping; })) return false;
	}
	std::lock_guard<std::mutex> lock(_mutex);
	_failure = "the Jupyter server did not answer within " + std::to_string(_settings.startupTimeout.count()) + " ms; see " + log;
	logger.error(_failure);
	return true;   // running but silent: let supervise() watch it
}


bool JupyterServer::answers(const Poco::URI& uri)
{
	try
	{
		Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
		session.setTimeout(Poco::Timespan(1, 0));
		Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, "/api/status", Poco::Net::HTTPMessage::HTTP_1_1);
		request.set("Authorization", "token " + _token);
		session.sendRequest(request);
		Poco::Net::HTTPResponse response;
		std::istream& in = session.receiveResponse(response);
		Poco::NullOutputStream null;
		Poco::StreamCopier::copyStream(in, null);
		return response.getStatus() == Poco::Net::HTTPResponse::HTTP_OK;
	}
	catch (Poco::Exception&)
	{
		return false;
	}
}


void JupyterServer::supervise()
{
	Poco::Logger& logger = Poco::Logger::get("execd.jupyter");
	auto backoff = std::chrono::milliseconds(200);
	for (;;)
	{
		{
			std::lock_guard<std::mutex> lock(_mutex);
			if (_stopping) break;
		}
		launch();
		pid_t pid;
		{
			std::lock_guard<std::mutex> lock(_mutex);
			pid = _pid;
		}
		if (pid > 0)
		{
			_server.wait();
			::kill(-pid, SIGKILL);   // what is left of its process group
			killKernels();
			std::lock_guard<std::mutex> lock(_mutex);
			_pid = -1;
			_ready = false;
			_changed.notify_all();
			if (_stopping) break;
			logger.warning("the Jupyter server (pid %d) ended; restarting it", static_cast<int>(pid));
			backoff = std::chrono::milliseconds(200);
		}
		std::unique_lock<std::mutex> lock(_mutex);
		if (_absent)
		{
			// No timer: nothing can change until someone installs the server,
			// and a request (base()) is what looks again.
			_changed.wait(lock, [this] { return _stopping || _wanted; });
			_wanted = false;
			if (_stopping) break;
			backoff = std::chrono::milliseconds(200);
			continue;
		}
		if (_changed.wait_for(lock, backoff, [this] { return _stopping; })) break;
		backoff = std::min(backoff * 2, std::chrono::milliseconds(10000));
	}
}


void JupyterServer::killKernels()
{
	int killed = KernelReaper::killLeftovers(_directory + "/runtime");
	if (killed > 0)
		Poco::Logger::get("execd.jupyter").warning("killed %d kernel process(es) the Jupyter server left behind", killed);
}


bool JupyterServer::absent() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _absent;
}


Poco::URI JupyterServer::base(std::chrono::milliseconds wait)
{
	std::unique_lock<std::mutex> lock(_mutex);
	if (_absent && !_ready)
	{
		lock.unlock();
		const bool there = ::access(_settings.serverCommand.c_str(), X_OK) == 0;
		lock.lock();
		if (_absent && !_ready)
		{
			if (!there) throw Poco::IllegalStateException(_failure);
			_absent = false;   // installed since: the supervisor starts it now
			_wanted = true;
			_changed.notify_all();
		}
	}
	// Until it answers, or a start attempt fails: then at once, with the reason
	// (a broken installation fails every attempt; waiting would not help).
	const int failures = _failures;
	if (!_changed.wait_for(lock, wait, [&] { return _ready || _stopping || _absent || _failures != failures; }))
		throw Poco::TimeoutException(_failure.empty() ? "the Jupyter server is not ready" : _failure);
	if (_ready) return _uri;
	if (_stopping) throw Poco::IllegalStateException("shutting down");
	throw Poco::IllegalStateException(_failure);
}


} } // namespace execd::jupyter
