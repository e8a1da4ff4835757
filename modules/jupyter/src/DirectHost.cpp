#include "DirectHost.h"
#include "KernelSpecs.h"
#include "execd/Subprocess.h"
#include "Poco/Exception.h"
#include "Poco/File.h"
#include "Poco/Logger.h"
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <map>
#include <stdexcept>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>


namespace execd {
namespace jupyter {


struct DirectHost::Beat
	/// The watcher's heartbeat of one kernel incarnation: a REQ socket to its hb port.
{
	std::unique_ptr<zmq::socket_t> socket;
	int incarnation = -1;
	bool answered = false;   ///< the incarnation answered once: from then on silence counts
	bool waiting = false;    ///< a ping is out
	std::chrono::steady_clock::time_point sentAt;
};


namespace {


const std::chrono::milliseconds PING_INTERVAL(1000);


} // namespace


DirectHost::DirectHost(const JupyterSettings& settings):
	_settings(settings),
	_wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK))
{
	if (_wake < 0) throw Poco::SystemException("eventfd", errno);
	_zmq.set(zmq::ctxopt::blocky, false);
	// libzmq's default of 1023 sockets would end at ~170 contexts (6 each): the fd
	// limit is the bound, as for every other connection of execd's.
	_zmq.set(zmq::ctxopt::max_sockets, 65535);
}


DirectHost::~DirectHost()
{
	stop();
	::close(_wake);
}


std::string DirectHost::describe() const
{
	return "direct kernels (no Jupyter server)";
}


void DirectHost::start()
{
	const char* tmp = std::getenv("TMPDIR");
	std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/execd-kernels-XXXXXX";
	if (!::mkdtemp(&pattern[0])) throw Poco::SystemException("cannot create " + pattern, errno);
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_directory = pattern;   // mkdtemp makes it 0700
	}
	_thread = std::thread([this] { watcher(); });
}


void DirectHost::stop()
{
	std::vector<std::shared_ptr<DirectKernel>> kernels;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_stopping = true;
		kernels.swap(_kernels);
	}
	wake();
	if (_thread.joinable()) _thread.join();
	// All asked at once, then each waited for: 300 ms in all, not per kernel, so
	// that execd's shutdown stays within its grace period.
	for (auto& k: kernels) k->requestShutdown();
	const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
	for (auto& k: kernels) k->finish(deadline);
	std::string directory;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		directory.swap(_directory);
	}
	if (!directory.empty())
	{
		try
		{
			Poco::File(directory).remove(true);
		}
		catch (Poco::Exception& exc)
		{
			Poco::Logger::get("execd.jupyter").warning("could not remove %s: %s", directory, exc.displayText());
		}
	}
}


KernelSpec DirectHost::nativePython()
{
	KernelSpec spec;
	spec.name = "python3";
	spec.argv = {"python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"};
	spec.language = "python";
	spec.displayName = "Python 3";
	return spec;
}


std::shared_ptr<Kernel> DirectHost::startKernel(const std::string&, const std::string& specName, const std::string& cwd, const ResourceGroup::Ptr& pGroup)
{
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (_stopping || _directory.empty()) throw Poco::IllegalStateException("execd is shutting down");
	}
	// Looked up anew each time: a kernel installed while execd runs is found.
	const std::vector<std::string> path = KernelSpecs::searchPath();
	std::optional<KernelSpec> spec = KernelSpecs::scan(path).find(specName);
	if (!spec && specName == "python3") spec = nativePython();
	if (!spec)
	{
		std::string dirs;
		for (const auto& d: path) dirs += (dirs.empty() ? "" : ", ") + d + "/kernels";
		throw Poco::NotFoundException("'" + specName + "' kernel is not available: no kernelspec of that name in " + dirs);
	}
	auto pKernel = std::make_shared<DirectKernel>(*this, *spec, cwd);
	pKernel->setGroup(pGroup);   // restarts join it too
	pKernel->launch();
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (_stopping)
		{
			pKernel->requestShutdown();
			pKernel->finish(std::chrono::steady_clock::now());
			throw Poco::IllegalStateException("execd is shutting down");
		}
		_kernels.push_back(pKernel);
	}
	wake();
	return pKernel;
}


int DirectHost::generation() const
{
	return 0;
}


bool DirectHost::endsKernelsAtStop() const
{
	return true;
}


bool DirectHost::absent() const
{
	return false;
}


zmq::context_t& DirectHost::zmqContext()
{
	return _zmq;
}


std::string DirectHost::directory() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _directory;
}


bool DirectHost::canRestorePriority()
{
	static const bool can = []
	{
		std::ifstream status("/proc/self/status");
		for (std::string line; std::getline(status, line);)
		{
			if (line.rfind("CapEff:", 0) != 0) continue;
			const unsigned long long caps = std::stoull(line.substr(7), nullptr, 16);
			if (caps & (1ULL << 23)) return true;   // CAP_SYS_NICE
		}
		// Without the capability RLIMIT_NICE says how low a nice value may go: 20 - limit.
		rlimit limit{};
		errno = 0;
		const int own = ::getpriority(PRIO_PROCESS, 0);
		return ::getrlimit(RLIMIT_NICE, &limit) == 0 && errno == 0
			&& (limit.rlim_cur == RLIM_INFINITY || 20 - static_cast<long>(limit.rlim_cur) <= own);
	}();
	return can;
}


unsigned long DirectHost::badSignature()
{
	return ++_badSignatures;
}


unsigned long DirectHost::badSignatures() const
{
	return _badSignatures;
}


void DirectHost::unwatch(DirectKernel& kernel)
{
	std::unique_lock<std::mutex> lock(_mutex);
	auto it = std::find_if(_kernels.begin(), _kernels.end(), [&kernel](const auto& k) { return k.get() == &kernel; });
	if (it == _kernels.end()) return;
	_kernels.erase(it);
	if (!_thread.joinable()) return;
	// Once the watcher has copied the list again it no longer polls the kernel.
	const unsigned long pass = _pass;
	lock.unlock();
	wake();
	lock.lock();
	_passed.wait_for(lock, std::chrono::seconds(5), [this, pass] { return _pass != pass || _stopping; });
}


void DirectHost::wake()
{
	::eventfd_write(_wake, 1);
}


void DirectHost::watcher()
{
	std::map<DirectKernel*, Beat> beats;
	auto lastPass = std::chrono::steady_clock::now();
	for (;;)
	{
		std::vector<std::shared_ptr<DirectKernel>> kernels;
		{
			std::lock_guard<std::mutex> lock(_mutex);
			if (_stopping) break;
			kernels = _kernels;
			++_pass;
		}
		_passed.notify_all();
		try
		{
			watch(kernels, beats, lastPass);
		}
		catch (std::exception& exc)
		{
			// Out of sockets or descriptors: this pass is lost, not execd.
			Poco::Logger::get("execd.jupyter").error("the kernel watcher: %s", std::string(exc.what()));
			beats.clear();
			std::this_thread::sleep_for(PING_INTERVAL);
		}
	}
}


void DirectHost::watch(std::vector<std::shared_ptr<DirectKernel>>& kernels, std::map<DirectKernel*, Beat>& beats,
	std::chrono::steady_clock::time_point& lastPass)
{
	const std::chrono::milliseconds timeout = _settings.heartbeatTimeout;
	for (auto it = beats.begin(); it != beats.end();)
	{
		const bool listed = std::any_of(kernels.begin(), kernels.end(), [&it](const auto& k) { return k.get() == it->first; });
		it = listed ? std::next(it) : beats.erase(it);
	}

	const auto now = std::chrono::steady_clock::now();
	if (now - lastPass > 3 * PING_INTERVAL)
	{
		// The watcher did not run for a while (the machine or container was
		// paused): the kernels did not either. Silence counts from now.
		for (auto& b: beats)
			if (b.second.waiting) b.second.sentAt = now;
	}
	lastPass = now;
	std::vector<zmq_pollitem_t> items{{nullptr, _wake, ZMQ_POLLIN, 0}};
	std::vector<std::pair<DirectKernel*, bool>> owners{{nullptr, false}};   // kernel, is the heartbeat
	for (const auto& k: kernels)
	{
		const int exit = k->exitDescriptor();
		if (exit >= 0)
		{
			items.push_back({nullptr, exit, ZMQ_POLLIN, 0});
			owners.emplace_back(k.get(), false);
		}
		if (timeout.count() <= 0 || !k->heartbeatWhileBusy()) continue;
		Beat& beat = beats[k.get()];
		const int incarnation = k->incarnation();
		if (beat.incarnation != incarnation || !beat.socket)
		{
			beat = Beat();
			beat.incarnation = incarnation;
			try
			{
				DirectKernel::Endpoint ep = k->endpoint();
				beat.socket = std::make_unique<zmq::socket_t>(_zmq, zmq::socket_type::req);
				beat.socket->set(zmq::sockopt::linger, 0);
				beat.socket->connect("tcp://" + ep.ip + ":" + std::to_string(ep.hbPort));
			}
			catch (Poco::Exception&)
			{
				beat.socket.reset();   // gone for good
				continue;
			}
		}
		if (!beat.waiting && now - beat.sentAt >= PING_INTERVAL)
		{
			beat.socket->send(zmq::str_buffer("ping"), zmq::send_flags::dontwait);
			beat.waiting = true;
			beat.sentAt = now;
		}
		items.push_back({beat.socket->handle(), 0, ZMQ_POLLIN, 0});
		owners.emplace_back(k.get(), true);
	}

	int n = zmq_poll(items.data(), static_cast<int>(items.size()), static_cast<long>(PING_INTERVAL.count()));
	if (n < 0 && zmq_errno() != EINTR)
		throw std::runtime_error(std::string("zmq_poll: ") + zmq_strerror(zmq_errno()));
	if (items[0].revents & ZMQ_POLLIN)
	{
		eventfd_t ignored;
		::eventfd_read(_wake, &ignored);
	}
	for (std::size_t i = 1; n > 0 && i < items.size(); ++i)
	{
		if (!(items[i].revents & ZMQ_POLLIN)) continue;
		DirectKernel* pKernel = owners[i].first;
		if (!owners[i].second)
		{
			pKernel->exited();
			continue;
		}
		Beat& beat = beats[pKernel];
		zmq::message_t pong;
		if (beat.socket->recv(pong, zmq::recv_flags::dontwait))
		{
			beat.waiting = false;
			beat.answered = true;
		}
	}
	const auto after = std::chrono::steady_clock::now();
	for (const auto& k: kernels)
	{
		auto it = beats.find(k.get());
		if (it == beats.end() || !it->second.answered || !it->second.waiting) continue;
		if (after - it->second.sentAt > timeout)
		{
			k->heartbeatLost(it->second.incarnation);
			it->second = Beat();   // a new socket for the next incarnation
		}
	}
}
} } // namespace execd::jupyter
