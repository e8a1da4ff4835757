// The jupyter module's direct backend (no Jupyter server): what IntegrationJupyterTest
// cannot show in both modes. Real ipykernel kernels, and one fake kernel (Python
// with pyzmq) for what a real kernel never does: forged signatures, interrupt_mode
// message with SIGINT ignored.

#include "ExecdProcess.h"
#include "JupyterTestSupport.h"
#include "Poco/File.h"
#include "Poco/JSON/Object.h"
#include <atomic>
#include <cppunit/extensions/HelperMacros.h>
#include <csignal>
#include <dirent.h>
#include <fstream>
#include <future>
#include <regex>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>


using namespace execd::test;


namespace {


const std::string FAKE_KERNEL = R"PY(# A kernel that speaks just enough of the protocol, for execd's tests.
import datetime, hashlib, hmac, json, signal, sys, threading, uuid
import zmq

signal.signal(signal.SIGINT, signal.SIG_IGN)   # interrupts must come as interrupt_request
cfg = json.load(open(sys.argv[1]))
key = cfg['key'].encode()
ctx = zmq.Context()


def bind(kind, name):
    s = ctx.socket(kind)
    s.bind('tcp://%s:%d' % (cfg['ip'], cfg[name + '_port']))
    return s


shell, control, iopub, hb = bind(zmq.ROUTER, 'shell'), bind(zmq.ROUTER, 'control'), bind(zmq.PUB, 'iopub'), bind(zmq.REP, 'hb')
bind(zmq.ROUTER, 'stdin')
session = str(uuid.uuid4())
count = 0


def beat():
    while True:
        hb.send(hb.recv())


threading.Thread(target=beat, daemon=True).start()


def sign(parts, k):
    h = hmac.new(k, digestmod=hashlib.sha256)
    for p in parts:
        h.update(p)
    return h.hexdigest().encode()


def send(sock, ids, kind, content, parent, k=None):
    header = {'msg_id': str(uuid.uuid4()), 'session': session, 'username': 'fake', 'msg_type': kind,
              'date': datetime.datetime.utcnow().isoformat() + 'Z', 'version': '5.3'}
    parts = [json.dumps(x).encode() for x in (header, parent, {}, content)]
    sock.send_multipart(ids + [b'<IDS|MSG>', sign(parts, k or key)] + parts)


def publish(kind, content, parent, k=None):
    send(iopub, [kind.encode()], kind, content, parent, k)


def recv(sock):
    frames = sock.recv_multipart()
    i = frames.index(b'<IDS|MSG>')
    parts = frames[i + 2:i + 6]
    assert hmac.compare_digest(frames[i + 1], sign(parts, key)), 'execd signed wrongly'
    return frames[:i], json.loads(parts[0])


def execute(ids, header):
    global count
    count += 1
    publish('status', {'execution_state': 'busy'}, header)
    text = header['_code']
    if text == 'forged':
        publish('stream', {'name': 'stdout', 'text': 'forged\n'}, header, b'not the key')
        publish('stream', {'name': 'stdout', 'text': 'genuine\n'}, header)
        send(shell, ids, 'execute_reply', {'status': 'ok', 'execution_count': count}, header)
    elif text == 'wait':
        publish('stream', {'name': 'stdout', 'text': 'waiting\n'}, header)
        if control.poll(30000):
            cids, request = recv(control)
            sys.stderr.write('got %s\n' % request['msg_type'])
            send(control, cids, 'interrupt_reply', {'status': 'ok'}, request)
            publish('error', {'ename': 'KeyboardInterrupt', 'evalue': 'by message', 'traceback': []}, header)
            send(shell, ids, 'execute_reply', {'status': 'error', 'execution_count': count,
                                               'ename': 'KeyboardInterrupt', 'evalue': 'by message', 'traceback': []}, header)
    else:
        publish('stream', {'name': 'stdout', 'text': text + '\n'}, header)
        send(shell, ids, 'execute_reply', {'status': 'ok', 'execution_count': count}, header)
    publish('status', {'execution_state': 'idle'}, header)


poller = zmq.Poller()
poller.register(shell, zmq.POLLIN)
poller.register(control, zmq.POLLIN)
while True:
    for sock, _ in poller.poll():
        frames = sock.recv_multipart()
        i = frames.index(b'<IDS|MSG>')
        ids, parts = frames[:i], frames[i + 2:i + 6]
        header = json.loads(parts[0])
        kind = header['msg_type']
        if kind == 'kernel_info_request':
            publish('status', {'execution_state': 'busy'}, header)
            send(sock, ids, 'kernel_info_reply', {'status': 'ok', 'protocol_version': '5.3', 'implementation': 'fake',
                                                  'language_info': {'name': 'fake'}}, header)
            publish('status', {'execution_state': 'idle'}, header)
        elif kind == 'execute_request':
            header['_code'] = json.loads(parts[3])['code']
            execute(ids, header)
        elif kind == 'shutdown_request':
            send(sock, ids, 'shutdown_reply', {'status': 'ok', 'restart': False}, header)
            sys.exit(0)
)PY";


struct SpecDirectory
	/// A JUPYTER_PATH entry with the fake kernel (kernelspec "fake", interrupt_mode
	/// message), removed at the end.
{
	std::string path;

	SpecDirectory()
	{
		char name[] = "/tmp/execd-specs-XXXXXX";
		path = ::mkdtemp(name);
		Poco::File(path + "/kernels/fake").createDirectories();
		std::ofstream(path + "/kernels/fake/fake_kernel.py") << FAKE_KERNEL;
		std::ofstream(path + "/kernels/fake/kernel.json") << "{\"argv\": [\"/usr/bin/python3\", \"{resource_dir}/fake_kernel.py\", "
			"\"{connection_file}\"], \"display_name\": \"Fake\", \"language\": \"fake\", \"interrupt_mode\": \"message\"}";
	}

	~SpecDirectory()
	{
		Poco::File(path).remove(true);
	}
};


ExecdProcess::Options direct(std::vector<std::string> properties)
{
	ExecdProcess::Options o;
	o.testModules = false;
	o.properties = {"execd.modules.load = jupyter, metrics", "module.jupyter.mode = direct"};
	o.properties.insert(o.properties.end(), properties.begin(), properties.end());
	return o;
}


HttpResult run(ExecdProcess& execd, const std::string& language, const std::string& code, const std::string& id = "",
	const DataCallback& onData = nullptr)
{
	std::string ctx = "{\"language\":\"" + language + "\"" + (id.empty() ? std::string() : ",\"id\":\"" + id + "\"") + "}";
	return request(execd.port(), "POST", "/code", "{\"code\":" + quote(code) + ",\"context\":" + ctx + "}", {}, onData);
}


std::string newContext(ExecdProcess& execd, const std::string& language, const std::string& cwd = "")
{
	HttpResult r = request(execd.port(), "POST", "/code/context",
		"{\"language\":\"" + language + "\"" + (cwd.empty() ? std::string() : ",\"cwd\":" + quote(cwd)) + "}");
	CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
	return object(r.body)->getValue<std::string>("id");
}


std::vector<int> kernelsOf(ExecdProcess& execd)
{
	return childrenNamed(execd.pid(), "kernel-");
}


std::vector<std::string> kernelDirectories()
{
	std::vector<std::string> dirs;
	DIR* dir = ::opendir("/tmp");
	while (struct dirent* entry = ::readdir(dir))
		if (std::string(entry->d_name).rfind("execd-kernels-", 0) == 0) dirs.push_back(std::string("/tmp/") + entry->d_name);
	::closedir(dir);
	return dirs;
}


int kernelPid(ExecdProcess& execd, const std::string& id)
{
	return std::stoi(stdoutText(events(run(execd, "python", "import os; print(os.getpid())", id))));
}


} // namespace


class IntegrationJupyterDirectTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(IntegrationJupyterDirectTest);
	CPPUNIT_TEST(testNoJupyterServerIsNeeded);
	CPPUNIT_TEST(testBadSignatureIsDroppedAndCounted);
	CPPUNIT_TEST(testInterruptModeMessage);
	CPPUNIT_TEST(testHeartbeatLossWithTheProcessAlive);
	CPPUNIT_TEST(testSpareHandoffWhileTheRefillStarts);
	CPPUNIT_TEST(test32ConcurrentContexts);
	CPPUNIT_TEST(testShutdownLeavesNoKernelNorFile);
	CPPUNIT_TEST(testOtherUidFindsNoKeyAndKernelsNoToken);
	CPPUNIT_TEST_SUITE_END();

public:
	void testNoJupyterServerIsNeeded()
	{
		// An image with Python and ipykernel only: no jupyter-server anywhere.
		ExecdProcess execd(direct({"module.jupyter.serverCommand = /nonexistent/jupyter-server"}));
		auto evs = events(run(execd, "python", "import sys\nprint(sys.executable)\n6 * 7"));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(types(evs), std::string("42"), firstOf(evs, "result")->getObject("results")->getValue<std::string>("text"));
		CPPUNIT_ASSERT(childrenNamed(execd.pid(), "jupyter-server").empty());
		CPPUNIT_ASSERT(!kernelsOf(execd).empty());
		CPPUNIT_ASSERT_EQUAL(std::string("/usr/bin/python3\n"), stdoutText(evs));   // the spec's interpreter, not PATH's first python3
	}

	void testBadSignatureIsDroppedAndCounted()
	{
		SpecDirectory specs;
		ExecdProcess::Options o = direct({"module.jupyter.kernel.fake = fake", "module.jupyter.prewarm = false"});
		o.env = {{"JUPYTER_PATH", specs.path}};
		ExecdProcess execd(o);
		auto evs = events(run(execd, "fake", "forged"));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(types(evs), std::string("genuine\n"), stdoutText(evs));
		CPPUNIT_ASSERT_EQUAL(std::string("init,stdout,execution_complete"), types(evs));
		std::string metrics = request(execd.port(), "GET", "/metrics/prometheus").body;
		CPPUNIT_ASSERT_MESSAGE(metrics, metrics.find("execd_jupyter_bad_signatures 1") != std::string::npos);
		auto logged = [&execd] { return execd.output().find("dropped a message with a bad signature on iopub") != std::string::npos; };
		auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);   // the log is written asynchronously
		while (!logged() && std::chrono::steady_clock::now() < deadline)
			std::this_thread::sleep_for(std::chrono::milliseconds(20));
		CPPUNIT_ASSERT_MESSAGE(execd.output(), logged());
		CPPUNIT_ASSERT_EQUAL(std::string("next\n"), stdoutText(events(run(execd, "fake", "next"))));
	}

	void testInterruptModeMessage()
	{
		// The fake kernel ignores SIGINT: only an interrupt_request on control stops it.
		SpecDirectory specs;
		ExecdProcess::Options o = direct({"module.jupyter.kernel.fake = fake", "module.jupyter.prewarm = false"});
		o.env = {{"JUPYTER_PATH", specs.path}};
		ExecdProcess execd(o);
		std::string id = newContext(execd, "fake");
		std::promise<void> started;
		std::atomic<bool> seen{false};
		auto running = std::async(std::launch::async, [&] {
			return run(execd, "fake", "wait", id, [&](const std::string& soFar) {
				if (!seen && soFar.find("waiting") != std::string::npos)
				{
					seen = true;
					started.set_value();
				}
			});
		});
		CPPUNIT_ASSERT(started.get_future().wait_for(std::chrono::seconds(10)) == std::future_status::ready);
		auto start = std::chrono::steady_clock::now();
		CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "DELETE", "/code?id=" + id).status);
		auto evs = events(running.get());
		CPPUNIT_ASSERT(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(types(evs), std::string("by message"), firstOf(evs, "error")->getObject("error")->getValue<std::string>("evalue"));
		CPPUNIT_ASSERT_EQUAL(std::string("after\n"), stdoutText(events(run(execd, "fake", "after", id))));
	}

	void testHeartbeatLossWithTheProcessAlive()
	{
		ExecdProcess execd(direct({"module.jupyter.heartbeatTimeoutMillis = 1500", "module.jupyter.spareKernels.python = 0",
			"module.jupyter.prewarm = false"}));
		std::string id = newContext(execd, "python");
		run(execd, "python", "x = 1", id);
		const int pid = kernelPid(execd, id);
		std::this_thread::sleep_for(std::chrono::milliseconds(1500));   // it answered a ping or two
		::kill(pid, SIGSTOP);
		auto start = std::chrono::steady_clock::now();
		auto evs = events(run(execd, "python", "print(x)", id));
		auto took = std::chrono::steady_clock::now() - start;
		CPPUNIT_ASSERT_MESSAGE(std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()) + " ms", took < std::chrono::seconds(5));
		auto error = firstOf(evs, "error")->getObject("error");
		CPPUNIT_ASSERT_EQUAL(std::string("KernelDied"), error->getValue<std::string>("ename"));
		CPPUNIT_ASSERT_MESSAGE(error->getValue<std::string>("evalue"), error->getValue<std::string>("evalue").find("heartbeat") != std::string::npos);
		CPPUNIT_ASSERT(gone(pid));
		// A new kernel serves the context; its state is gone.
		std::string out;
		auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
		while (out != "fresh\n" && std::chrono::steady_clock::now() < deadline)
			out = stdoutText(events(run(execd, "python", "print('x' in globals() and 'stale' or 'fresh')", id)));
		CPPUNIT_ASSERT_EQUAL(std::string("fresh\n"), out);
		CPPUNIT_ASSERT(kernelPid(execd, id) != pid);
	}

	void testSpareHandoffWhileTheRefillStarts()
	{
		ExecdProcess execd(direct({"module.jupyter.prewarm = false", "module.jupyter.spareKernels.python = 1", "execd.logLevel = 7"}));
		struct Scratch
		{
			char path[32] = "/tmp/execd-spare-XXXXXX";
			Scratch() { CPPUNIT_ASSERT(::mkdtemp(path)); }
			~Scratch() { Poco::File(path).remove(true); }
		} scratch;
		const char* dir = scratch.path;
		// Once the spare is ready a context takes it at once.
		auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
		while (execd.output().find("a spare python kernel is ready") == std::string::npos && std::chrono::steady_clock::now() < deadline)
			std::this_thread::sleep_for(std::chrono::milliseconds(20));
		auto start = std::chrono::steady_clock::now();
		std::string first = newContext(execd, "python", std::string(dir) + "/a");
		auto took = std::chrono::steady_clock::now() - start;
		CPPUNIT_ASSERT_MESSAGE(std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()) + " ms",
			took < std::chrono::milliseconds(500));
		// The refill is starting now: the next context does not wait for it to be
		// handed a half-started kernel; it gets one of its own (or the refill, ready).
		std::string second = newContext(execd, "python", std::string(dir) + "/b");
		for (const auto& c: {std::make_pair(first, std::string(dir) + "/a"), std::make_pair(second, std::string(dir) + "/b")})
		{
			auto evs = events(run(execd, "python", "import os\nprint(os.getcwd())\nprint(sorted(k for k in globals() if not k.startswith('_') and k not in ('In', 'Out', 'exit', 'quit', 'get_ipython', 'os')))\n1", c.first));
			CPPUNIT_ASSERT_EQUAL_MESSAGE(types(evs), c.second + "\n[]\n", stdoutText(evs));
			// The first user code of the context is execution 1: the spare ran none.
			CPPUNIT_ASSERT_EQUAL(1, firstOf(evs, "execution_count")->getValue<int>("execution_count"));
		}
		run(execd, "python", "v = 'first'", first);
		CPPUNIT_ASSERT_EQUAL(std::string("False\n"), stdoutText(events(run(execd, "python", "print('v' in globals())", second))));
		// And the pool fills again.
		deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
		while (kernelsOf(execd).size() < 3 && std::chrono::steady_clock::now() < deadline)
			std::this_thread::sleep_for(std::chrono::milliseconds(50));
		CPPUNIT_ASSERT_EQUAL(std::size_t(3), kernelsOf(execd).size());
	}

	void test32ConcurrentContexts()
	{
		// 32 kernels take ~25 s of CPU to start: created 4 at a time (a request
		// waits at most 20 s here, and a busy machine gives a wave less than its
		// share of two cores), then all 32 run at once.
		ExecdProcess execd(direct({"module.jupyter.prewarm = false"}));
		std::vector<std::string> ids(32);
		for (int wave = 0; wave < 8; ++wave)
		{
			std::vector<std::future<HttpResult>> created;
			for (int i = 0; i < 4; ++i)
				created.push_back(std::async(std::launch::async, [&execd] {
					return request(execd.port(), "POST", "/code/context", "{\"language\":\"python\"}");
				}));
			for (int i = 0; i < 4; ++i)
			{
				HttpResult r = created[i].get();
				CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
				ids[wave * 4 + i] = object(r.body)->getValue<std::string>("id");
			}
		}
		std::vector<std::future<std::string>> results;
		for (int i = 0; i < 32; ++i)
		{
			results.push_back(std::async(std::launch::async, [&execd, &ids, i] {
				run(execd, "python", "n = " + std::to_string(i), ids[i]);
				std::string out = stdoutText(events(run(execd, "python", "print(n * 3)", ids[i])));
				request(execd.port(), "DELETE", "/code/contexts/" + ids[i]);
				return out == std::to_string(i * 3) + "\n" ? std::string() : "context " + std::to_string(i) + " said " + out + "; ";
			}));
		}
		std::string wrong;
		for (auto& f: results) wrong += f.get();
		CPPUNIT_ASSERT_EQUAL(std::string(), wrong);
		auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
		while (kernelsOf(execd).size() > 1 && std::chrono::steady_clock::now() < deadline)
			std::this_thread::sleep_for(std::chrono::milliseconds(50));
		CPPUNIT_ASSERT(kernelsOf(execd).size() <= 1);   // the spare
	}

	void testShutdownLeavesNoKernelNorFile()
	{
		const std::vector<std::string> before = kernelDirectories();
		ExecdProcess execd(direct({}));
		std::string id = newContext(execd, "python");
		run(execd, "python", "import subprocess\np = subprocess.Popen(['sleep', '1000'])", id);
		run(execd, "javascript", "1");
		std::vector<int> pids = kernelsOf(execd);
		CPPUNIT_ASSERT(pids.size() >= 3);   // default python, ours, javascript (and a spare)
		for (int kernel: std::vector<int>(pids))
			for (int child: childrenNamed(kernel, "")) pids.push_back(child);
		std::vector<std::string> dirs;
		for (const std::string& d: kernelDirectories())
			if (std::find(before.begin(), before.end(), d) == before.end()) dirs.push_back(d);
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), dirs.size());
		struct stat info{};
		CPPUNIT_ASSERT_EQUAL(0, ::stat(dirs[0].c_str(), &info));
		CPPUNIT_ASSERT_EQUAL(0700, static_cast<int>(info.st_mode & 0777));   // ipykernel adds the sticky bit
		auto start = std::chrono::steady_clock::now();
		const int status = execd.stop();
		CPPUNIT_ASSERT_EQUAL_MESSAGE(execd.output(), 0, status);
		CPPUNIT_ASSERT(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
		std::string left;
		for (int pid: pids)
			if (!gone(pid)) left += " " + std::to_string(pid) + ":" + procText(pid, "cmdline");
		CPPUNIT_ASSERT_MESSAGE("still running:" + left, left.empty());
		CPPUNIT_ASSERT_MESSAGE(dirs[0], !Poco::File(dirs[0]).exists());
	}

	void testOtherUidFindsNoKeyAndKernelsNoToken()
	{
		const std::string token = "direct-access-token-" + std::to_string(::getpid()) + "-0123456789";
		ExecdProcess::Options o = direct({});
		o.properties[0] = "execd.modules.load = jupyter, shell";
		o.args = {"--access-token", token};
		o.env = {{"EXECD_ACCESS_TOKEN", token + "-env"}, {"JUPYTER_TOKEN", token + "-jupyter"}};
		ExecdProcess execd(o);
		const std::map<std::string, std::string> auth{{"X-EXECD-ACCESS-TOKEN", token}};
		HttpResult r = request(execd.port(), "POST", "/code", "{\"code\":" + quote("import os\nprint(repr(dict(os.environ)))\n"
			"print(open('/proc/self/cmdline').read(), open('/proc/%d/cmdline' % os.getppid()).read())") + ",\"context\":{\"language\":\"python\"}}", auth);
		const std::string seen = stdoutText(events(r));
		CPPUNIT_ASSERT_MESSAGE(r.body, seen.find("ipykernel_launcher") != std::string::npos);
		// The kernels' keys, as root reads them from their connection files.
		std::vector<std::string> secrets{token, token + "-env", token + "-jupyter"};
		for (int kernel: kernelsOf(execd))
		{
			const std::string file = match(procText(kernel, "cmdline"), "(\\S+/kernel-[0-9a-f-]+\\.json)");
			struct stat info{};
			CPPUNIT_ASSERT_EQUAL(0, ::stat(file.c_str(), &info));
			CPPUNIT_ASSERT_EQUAL(0600, static_cast<int>(info.st_mode & 07777));
			std::string key = match(fileText(file), "\"key\": ?\"([^\"]+)\"");
			CPPUNIT_ASSERT_MESSAGE(fileText(file), key.size() == 64);
			secrets.push_back(key);
		}
		for (const std::string& secret: secrets)
		{
			CPPUNIT_ASSERT_MESSAGE(secret + " reached a kernel", seen.find(secret) == std::string::npos);
			CPPUNIT_ASSERT_MESSAGE(secret + " is in the log", execd.output().find(secret) == std::string::npos);
		}
		const std::string out = probeAsNobody(execd.port(), auth, "1", "x");   // no Jupyter server to write through
		CPPUNIT_ASSERT_MESSAGE(out, out.find("READABLE") == std::string::npos);
		for (const std::string& secret: secrets)
			CPPUNIT_ASSERT_MESSAGE(secret + " is readable by uid 65534", out.find(secret) == std::string::npos);
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(IntegrationJupyterDirectTest);
