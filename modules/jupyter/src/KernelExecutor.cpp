#include "KernelExecutor.h"
#include "JupyterClient.h"
#include "execd/ApiException.h"
#include "execd/Paths.h"
#include "Poco/Buffer.h"
#include "Poco/DateTimeFormatter.h"
#include "Poco/JSON/Array.h"
#include "Poco/JSON/Parser.h"
#include "Poco/Logger.h"
#include "Poco/Net/HTTPRequest.h"
#include "Poco/Net/HTTPResponse.h"
#include "Poco/Net/NetException.h"
#include "Poco/Timestamp.h"
#include "Poco/UUIDGenerator.h"
#include <algorithm>
#include <cstdint>
#include <dirent.h>
#include <fstream>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sstream>
#include <thread>


namespace execd {
namespace jupyter {


namespace {


std::string reason(const Poco::Exception& exc)
	/// What went wrong, never empty: some Poco exceptions (a refused connection)
	/// have only a name.
{
	return exc.message().empty() ? std::string(exc.name()) : exc.message();
}


std::string uuid()
{
	return Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
}


std::string compact(const std::string& id)
{
	std::string out = id;
	out.erase(std::remove(out.begin(), out.end(), '-'), out.end());
	return out;
}


Poco::JSON::Object::Ptr parseObject(const std::string& text)
{
	return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
}


long long steadyMillis()
{
	return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}


long long millisSince(std::chrono::steady_clock::time_point start)
{
	return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
}


// MIME bundle -> results, with "text/plain" renamed to "text" as SDKs expect.
Poco::JSON::Object::Ptr results(Poco::JSON::Object::Ptr data)
{
	Poco::JSON::Object::Ptr out = new Poco::JSON::Object;
	if (!data) return out;
	std::vector<std::string> names;
	data->getNames(names);
	for (const std::string& name: names)
		out->set(name == "text/plain" ? "text" : name, data->get(name));
	return out;
}


const std::string V1_PROTOCOL = "v1.kernel.websocket.jupyter.org";


std::string encodeV1(const std::string& channel, const std::vector<std::string>& parts)
	// The v1 kernel WebSocket frame: the number of offsets, the offsets (64-bit
	// little endian), the channel name, then the message parts.
{
	const std::size_t count = parts.size() + 2;
	std::vector<std::uint64_t> offsets{8 * (count + 1)};
	offsets.push_back(offsets.back() + channel.size());
	for (const std::string& p: parts) offsets.push_back(offsets.back() + p.size());
	std::string frame;
	frame.reserve(offsets.back());
	auto put = [&frame](std::uint64_t v)
	{
		for (int i = 0; i < 8; ++i) frame += static_cast<char>((v >> (8 * i)) & 0xFF);
	};
	put(count);
	for (std::uint64_t o: offsets) put(o);
	frame += channel;
	for (const std::string& p: parts) frame += p;
	return frame;
}


Poco::JSON::Object::Ptr decodeV1(const std::string& frame)
	// A v1 frame as the object a JSON text frame would have been: channel,
	// header, parent_header, metadata, content (buffers are not used).
{
	auto get = [&frame](std::size_t at) -> std::uint64_t
	{
		if (at + 8 > frame.size()) throw Poco::DataFormatException("truncated kernel message");
		std::uint64_t v = 0;
		for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(frame[at + static_cast<std::size_t>(i)]);
		return v;
	};
	const std::uint64_t count = get(0);
	if (count < 2 || count > 64) throw Poco::DataFormatException("malformed kernel message");
	std::vector<std::uint64_t> offsets;
	for (std::uint64_t i = 0; i < count; ++i)
	{
		offsets.push_back(get(8 * (i + 1)));
		if (offsets.back() > frame.size() || (i > 0 && offsets.back() < offsets[i - 1]))
			throw Poco::DataFormatException("malformed kernel message");
	}
	auto part = [&](std::size_t i) { return frame.substr(offsets[i], offsets[i + 1] - offsets[i]); };
	static const char* const NAMES[] = {"header", "parent_header", "metadata", "content"};
	Poco::JSON::Object::Ptr message = new Poco::JSON::Object;
	message->set("channel", part(0));
	for (std::size_t i = 0; i < 4 && i + 2 < count; ++i)
		message->set(NAMES[i], parseObject(part(i + 1)));
	return message;
}


void hook(const std::string& payload, Poco::JSON::Object::Ptr& result, std::optional<ErrorDetail>& error)
	// Output of the tslab hooks installed by KernelContext::adapt(): "R<value>\n"
	// or "E<json>\n". Several errors (one per TypeScript diagnostic) become one.
{
	std::string text = payload.substr(1);
	if (!text.empty() && text.back() == '\n') text.pop_back();
	if (payload[0] == 'R')
	{
		result = new Poco::JSON::Object;
		result->set("text", text);
		return;
	}
	ErrorDetail detail;
	try
	{
		auto info = parseObject(text);
		detail.ename = info->optValue<std::string>("ename", "Error");
		detail.evalue = info->optValue<std::string>("evalue", "");
		if (auto trace = info->getArray("traceback"))
			for (std::size_t i = 0; i < trace->size(); ++i)
				detail.traceback.push_back(trace->getElement<std::string>(static_cast<unsigned>(i)));
	}
	catch (Poco::Exception&)
	{
		detail = ErrorDetail{"Error", text, {}, false};
	}
	if (!error)
		error = std::move(detail);
	else
		error->traceback.insert(error->traceback.end(), detail.traceback.begin(), detail.traceback.end());
}


} // namespace


KernelContext::KernelContext(std::string id, std::string sessionId, std::string kernelId, std::string language, std::string cwd, int generation):
	_id(std::move(id)),
	_sessionId(std::move(sessionId)),
	_kernelId(std::move(kernelId)),
	_language(std::move(language)),
	_cwd(std::move(cwd)),
	_generation(generation),
	_clientSession(uuid())
{
}


KernelContext::~KernelContext()
{
	close();
}


const std::string& KernelContext::id() const
{
	return _id;
}


const std::string& KernelContext::kernelId() const
{
	return _kernelId;
}


const std::string& KernelContext::sessionId() const
{
	return _sessionId;
}


void KernelContext::rebind(std::string sessionId, std::string kernelId, int generation)
{
	std::lock_guard<std::mutex> lock(_runMutex);
	close();
	_sessionId = std::move(sessionId);
	_kernelId = std::move(kernelId);
	_generation = generation;
	_kernelPid = 0;
	_restarted = true;   // wait for kernel_info before the next execute
}


const std::string& KernelContext::language() const
{
	return _language;
}


const std::string& KernelContext::cwd() const
{
	return _cwd;
}


int KernelContext::generation() const
{
	return _generation;
}


bool KernelContext::running() const
{
	return _running;
}


void KernelContext::interrupted()
{
	if (_running) _interruptedAt = steadyMillis();
}


void KernelContext::sendInterrupt(JupyterServer& server)
{
	int status = 0;
	try
	{
		JupyterClient(server).request("POST", "/api/kernels/" + _kernelId + "/interrupt", "", status, std::chrono::seconds(10));
	}
	catch (Poco::Exception& exc)
	{
		Poco::Logger::get("execd.jupyter").warning("could not interrupt kernel %s: %s", _kernelId, exc.displayText());
	}
}


void KernelContext::close()
{
	if (_pSocket)
	{
		try
		{
			_pSocket->shutdown();
		}
		catch (...)
		{
		}
		_pSocket.reset();
	}
	_pSession.reset();
}


pid_t KernelContext::kernelPid()
{
	// A local kernel's command line names its connection file, kernel-<id>.json:
	// knowing its pid lets a run notice at once when it dies, instead of waiting
	// for Jupyter's restarter.
	if (_kernelPid != 0) return _kernelPid;
	DIR* dir = ::opendir("/proc");
	if (!dir) return 0;
	const std::string needle = "kernel-" + _kernelId + ".json";
	while (struct dirent* entry = ::readdir(dir))
	{
		int pid = std::atoi(entry->d_name);
		if (pid <= 0) continue;
		std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
		std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
		if (cmdline.find(needle) != std::string::npos)
		{
			_kernelPid = pid;
			break;
		}
	}
	::closedir(dir);
	return _kernelPid;
}


bool KernelContext::kernelGone()
{
	if (_kernelPid <= 0) return false;
	std::ifstream in("/proc/" + std::to_string(_kernelPid) + "/stat");
	std::string line;
	if (!std::getline(in, line)) return true;
	std::size_t close = line.rfind(')');
	return close == std::string::npos || close + 2 >= line.size() || line[close + 2] == 'Z' || line[close + 2] == 'X';
}


void KernelContext::abort()
{
	// Only the socket's shutdown: the running thread owns the objects.
	if (_pSocket)
	{
		try
		{
			_pSocket->shutdown();
		}
		catch (...)
		{
		}
	}
}


void KernelContext::connect(JupyterServer& server)
{
	if (_pSocket) return;
	_busyWith.clear();   // a new connection learns anew
	Poco::URI base = server.base(std::chrono::seconds(30));
	std::string prefix = base.getPath();
	if (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
	_pSession = std::make_unique<Poco::Net::HTTPClientSession>(base.getHost(), base.getPort());
	Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET,
		prefix + "/api/kernels/" + _kernelId + "/channels?session_id=" + _clientSession, Poco::Net::HTTPMessage::HTTP_1_1);
	request.set("Authorization", "token " + server.token());
	// jupyter-server >= 1.21 forwards messages of this subprotocol as raw parts:
	// it neither decodes nor re-encodes their JSON, a few hundred microseconds
	// less per message. Older servers ignore the offer and speak JSON text.
	if (server.rawMessages()) request.set("Sec-WebSocket-Protocol", V1_PROTOCOL);
	Poco::Net::HTTPResponse response;
	_pSocket = std::make_unique<Poco::Net::WebSocket>(*_pSession, request, response);
	_binary = response.get("Sec-WebSocket-Protocol", "") == V1_PROTOCOL;
	_pSocket->setMaxPayloadSize(256 * 1024 * 1024);
	_pSocket->setNoDelay(true);
}


void KernelContext::send(const std::string& channel, const std::string& type, Poco::JSON::Object::Ptr content, const std::string& msgId)
{
	Poco::JSON::Object::Ptr header = new Poco::JSON::Object;
	header->set("msg_id", msgId);
	header->set("username", "execd");
	header->set("session", _clientSession);
	header->set("date", Poco::DateTimeFormatter::format(Poco::Timestamp(), "%Y-%m-%dT%H:%M:%S.%iZ"));
	header->set("msg_type", type);
	header->set("version", "5.3");
	Poco::JSON::Object message;
	message.set("header", header);
	message.set("parent_header", Poco::JSON::Object::Ptr(new Poco::JSON::Object));
	message.set("metadata", Poco::JSON::Object::Ptr(new Poco::JSON::Object));
	message.set("buffers", Poco::JSON::Array::Ptr(new Poco::JSON::Array));
	if (_binary)
	{
		std::ostringstream part;
		header->stringify(part);
		std::vector<std::string> parts{part.str(), "{}", "{}"};
		part.str("");
		content->stringify(part);
		parts.push_back(part.str());
		std::string frame = encodeV1(channel, parts);
		_pSocket->sendFrame(frame.data(), static_cast<int>(frame.size()), Poco::Net::WebSocket::FRAME_BINARY);
		return;
	}
	message.set("channel", channel);
	message.set("content", content);
	std::ostringstream out;
	message.stringify(out);
	std::string text = out.str();
	_pSocket->sendFrame(text.data(), static_cast<int>(text.size()), Poco::Net::WebSocket::FRAME_TEXT);
}


Poco::JSON::Object::Ptr KernelContext::receive(std::chrono::milliseconds timeout)
{
	_pSocket->setReceiveTimeout(Poco::Timespan(timeout.count() * 1000));
	std::string message;
	bool binary = false;
	for (;;)
	{
		Poco::Buffer<char> buffer(0);
		int flags = 0;
		int n;
		try
		{
			n = _pSocket->receiveFrame(buffer, flags);
		}
		catch (Poco::TimeoutException&)
		{
			return nullptr;
		}
		// Tornado sends with Nagle on; acknowledge at once or each message waits
		// for the delayed ACK (Linux; must be re-armed after every read).
		int one = 1;
		::setsockopt(_pSocket->impl()->sockfd(), IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
		int op = flags & Poco::Net::WebSocket::FRAME_OP_BITMASK;
		if (n == 0 && flags == 0)
			throw Poco::Net::ConnectionResetException("the kernel connection closed");
		if (op == Poco::Net::WebSocket::FRAME_OP_PING)
		{
			_pSocket->sendFrame(buffer.begin(), static_cast<int>(buffer.size()), Poco::Net::WebSocket::FRAME_FLAG_FIN | Poco::Net::WebSocket::FRAME_OP_PONG);
			continue;
		}
		if (op == Poco::Net::WebSocket::FRAME_OP_PONG) continue;
		if (op == Poco::Net::WebSocket::FRAME_OP_CLOSE)
			throw Poco::Net::ConnectionResetException("the kernel connection closed");
		if (op == Poco::Net::WebSocket::FRAME_OP_BINARY) binary = true;
		message.append(buffer.begin(), buffer.size());
		if (flags & Poco::Net::WebSocket::FRAME_FLAG_FIN) break;
	}
	return binary ? decodeV1(message) : parseObject(message);
}


void KernelContext::waitReady(JupyterServer& server, std::chrono::milliseconds timeout)
{
	std::lock_guard<std::mutex> lock(_runMutex);
	connect(server);
	awaitKernelInfo(server, timeout);
	adapt(std::chrono::seconds(30));
}


void KernelContext::adapt(std::chrono::milliseconds timeout)
{
	_hookTag.clear();
	_countOffset = 0;
	if (_implementation != "tslab" && _implementation != "jslab") return;
	// tslab prints the value of the last expression with console.log and an error
	// with console.error, from its executor module, through the process.stdout and
	// process.stderr write functions that it replaces at every execution. The hooks
	// (accessors for those functions) mark exactly these writes, the ones whose
	// first caller outside Node's own code is tslab's executor, with a tag only
	// this context knows; run() turns them into result and error events. eval()
	// keeps the hook source out of TypeScript's type checks.
	static const std::string source = R"JS((function () {
  var tag = @TAG@;
  function fromExecutor() {
    var limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 20;
    var frames = String(new Error().stack).split('\n');
    Error.stackTraceLimit = limit;
    // [0] "Error", [1] fromExecutor, [2] the write hook, then its callers.
    for (var i = 3; i < frames.length; ++i) {
      if (frames[i].indexOf('node:') >= 0) continue;
      return frames[i].indexOf('/tslab/dist/executor.js') >= 0;
    }
    return false;
  }
  function describe(text) {
    var lines = text.replace(/\n$/, '').split('\n');
    if (/^(\S+ )?\d+:\d+ - /.test(lines[0]))
      return {ename: 'CompileError', evalue: lines.join('\n'), traceback: lines};
    var at = lines.findIndex(function (l) { return /^\s+at /.test(l); });
    if (at < 0) return {ename: 'Error', evalue: lines.join('\n'), traceback: []};
    for (var i = 0; i < at; ++i) {
      var m = /^([A-Za-z_$][\w$]*)(?: \[[^\]]*\])?: ?(.*)$/.exec(lines[i]);
      if (m) return {ename: m[1], evalue: [m[2]].concat(lines.slice(i + 1, at)).join('\n'), traceback: lines};
    }
    return {ename: 'Error', evalue: lines.slice(0, at).join('\n'), traceback: lines};
  }
  function hook(stream, kind) {
    var inner = stream.write;
    function write(chunk) {
      var args = Array.prototype.slice.call(arguments);
      if (typeof chunk === 'string' && fromExecutor())
        args[0] = tag + kind + (kind === 'E' ? JSON.stringify(describe(chunk)) + '\n' : chunk);
      return inner.apply(this, args);
    }
    Object.defineProperty(stream, 'write', {
      configurable: true,
      enumerable: true,
      get: function () { return write; },
      set: function (fn) { inner = fn; }
    });
  }
  hook(process.stdout, 'R');
  hook(process.stderr, 'E');
})();
)JS";
	std::string tag = "\x1f" + compact(uuid()) + ":";
	std::string hooks = source;
	hooks.replace(hooks.find("@TAG@"), 5, Json::quote(tag));
	int count = 0;
	executeQuietly("void eval(" + Json::quote(hooks) + ");\n", timeout, count);
	_hookTag = tag;
	_countOffset = count;
}


void KernelContext::executeQuietly(const std::string& code, std::chrono::milliseconds timeout, int& executionCount)
{
	const std::string msgId = _clientSession + "-" + std::to_string(++_counter);
	Poco::JSON::Object::Ptr content = new Poco::JSON::Object;
	content->set("code", code);
	content->set("silent", false);
	content->set("store_history", false);
	content->set("user_expressions", Poco::JSON::Object::Ptr(new Poco::JSON::Object));
	content->set("allow_stdin", false);
	content->set("stop_on_error", false);
	send("shell", "execute_request", content, msgId);
	auto deadline = std::chrono::steady_clock::now() + timeout;
	while (std::chrono::steady_clock::now() < deadline)
	{
		auto message = receive(std::chrono::milliseconds(250));
		if (!message) continue;
		auto header = message->getObject("header");
		auto parent = message->getObject("parent_header");
		if (!header || !parent || parent->optValue<std::string>("msg_id", "") != msgId) continue;
		if (header->optValue<std::string>("msg_type", "") != "execute_reply") continue;
		auto body = message->getObject("content");
		std::string status = body ? body->optValue<std::string>("status", "") : "";
		if (status != "ok")
			throw Poco::RuntimeException("the kernel refused execd's set-up code (" + status + ")");
		executionCount = body->optValue<int>("execution_count", 0);
		return;
	}
	throw Poco::TimeoutException("the kernel did not run execd's set-up code in time");
}


void KernelContext::awaitKernelInfo(JupyterServer& server, std::chrono::milliseconds timeout)
{
	std::string msgId = _clientSession + "-" + std::to_string(++_counter);
	bool gotReply = false;
	bool gotIopub = false;
	auto deadline = std::chrono::steady_clock::now() + timeout;
	auto nextAsk = std::chrono::steady_clock::now();
	auto reconnectAt = std::chrono::steady_clock::now() + std::chrono::seconds(5);
	while (std::chrono::steady_clock::now() < deadline)
	{
		if (std::chrono::steady_clock::now() >= reconnectAt)
		{
			// Channels opened while the kernel was being replaced may never reach
			// the new one: open them again.
			close();
			connect(server);
			reconnectAt = std::chrono::steady_clock::now() + std::chrono::seconds(5);
			nextAsk = std::chrono::steady_clock::now();
		}
		if (std::chrono::steady_clock::now() >= nextAsk)
		{
			// A kernel that is still starting may miss the first request: ask again.
			msgId = _clientSession + "-" + std::to_string(++_counter);
			send("shell", "kernel_info_request", new Poco::JSON::Object, msgId);
			nextAsk = std::chrono::steady_clock::now() + std::chrono::seconds(2);
		}
		auto message = receive(std::chrono::milliseconds(500));
		if (!message) continue;
		auto header = message->getObject("header");
		auto parent = message->getObject("parent_header");
		// Only answers to our own requests count: Jupyter sends kernel_info
		// requests of its own when channels open. And both channels must work:
		// the reply (shell) and a status message (iopub, which like any ZeroMQ
		// subscription drops what is published before it is connected).
		bool ours = parent && parent->optValue<std::string>("msg_id", "").rfind(_clientSession + "-", 0) == 0;
		std::string type = header ? header->optValue<std::string>("msg_type", "") : "";
		if (ours && type == "kernel_info_reply")
		{
			gotReply = true;
			if (auto content = message->getObject("content"))
				_implementation = content->optValue<std::string>("implementation", "");
		}
		if (ours && message->optValue<std::string>("channel", "") == "iopub") gotIopub = true;
		if (gotReply && gotIopub) return;
	}
	throw Poco::TimeoutException("the kernel did not become ready in time");
}


void KernelContext::run(JupyterServer& server, const std::string& code, EventSink& sink, bool restartedNotice)
{
	std::unique_lock<std::mutex> lock(_runMutex, std::try_to_lock);
	if (!lock.owns_lock())
		throw ApiException::runtimeError("error running codes session is busy");
	try
	{
		connect(server);
		if (_restarted)
		{
			// The kernel died in an earlier run: wait for Jupyter's new one.
			awaitKernelInfo(server, std::chrono::seconds(60));
			adapt(std::chrono::seconds(30));
			_restarted = false;
		}
	}
	catch (Poco::Exception& exc)
	{
		close();
		throw ApiException::runtimeError("error running codes cannot connect to the kernel: " + reason(exc));
	}
	_interruptedAt = 0;
	_running = true;
	struct Reset
	{
		std::atomic<bool>& flag;
		~Reset() { flag = false; }
	} reset{_running};

	const auto start = std::chrono::steady_clock::now();
	std::string msgId = _clientSession + "-" + std::to_string(++_counter);
	Poco::JSON::Object::Ptr content = new Poco::JSON::Object;
	content->set("code", code);
	content->set("silent", false);
	content->set("store_history", true);
	content->set("user_expressions", Poco::JSON::Object::Ptr(new Poco::JSON::Object));
	content->set("allow_stdin", false);
	content->set("stop_on_error", true);
	kernelPid();
	sink.emit(StreamEvent::init(_id));
	if (restartedNotice)
		sink.emit(StreamEvent::stderrText("[execd] the Jupyter server was restarted; this context runs in a new kernel and its earlier state is lost\n"));
	bool replied = false;
	bool idle = false;
	bool acknowledged = false;   // the kernel said "busy" for this request
	bool errorSent = false;
	std::optional<ErrorDetail> replyError;   // from execute_reply: sent at the end unless the kernel sent an error message
	std::optional<ErrorDetail> hookError;    // tslab: the error its executor printed
	Poco::JSON::Object::Ptr hookResult;      // tslab: the last value, sent at the end with the reply's count
	int replyCount = 0;                      // tslab: the reply's execution count, less execd's own executions
	std::chrono::steady_clock::time_point repliedAt;
	auto fail = [&](ErrorDetail detail)
	{
		sink.emit(StreamEvent::status("error"));
		sink.emit(StreamEvent::failure(std::move(detail)));
		errorSent = true;
	};
	try
	{
		auto now = std::chrono::steady_clock::now();
		if (now < _quietUntil)
			std::this_thread::sleep_for(_quietUntil - now);   // tslab would abort the request
		send("shell", "execute_request", content, msgId);
		auto waitingSince = std::chrono::steady_clock::now();   // for the kernel to take the request
		long long acknowledgedAt = 0;    // steady clock, ms
		long long deliveredAt = 0;       // the first interrupt sent while the kernel ran this request
		long long idleAt = 0;            // the kernel went idle after this request
		int resent = 0;                  // times the request was sent again after an abort
		while (!(replied && idle))
		{
			auto message = receive(std::chrono::milliseconds(_interruptedAt != 0 ? 100 : 250));
			const long long nowMillis = steadyMillis();
			long long interruptedAt = _interruptedAt;
			if (interruptedAt != 0 && !replied && acknowledged)
			{
				// An interrupt counts only once the kernel runs this request: one
				// sent before (the client reacted to init) reaches an idle kernel, and
				// ipykernel ignores SIGINT until it has set up the execution, a moment
				// after it says busy. So it is sent again when the kernel is busy with
				// this request, and every half second while the run goes on.
				if (interruptedAt < acknowledgedAt || nowMillis - interruptedAt >= 500)
				{
					sendInterrupt(server);
					interruptedAt = _interruptedAt = nowMillis;
				}
				if (deliveredAt == 0) deliveredAt = interruptedAt;
			}
			if (deliveredAt != 0 && !replied && nowMillis - deliveredAt > 2000)
			{
				fail(ErrorDetail{"Interrupted", "the kernel did not end the run within 2 s of the interrupt; "
					"a kernel that restarts on an interrupt (ijavascript) loses the context's state", {}, false});
				break;
			}
			if (idle && !replied && nowMillis - idleAt > (deliveredAt != 0 ? 300 : 2000))
			{
				// The reply (shell) may come a little after idle (iopub), but not this
				// late: the kernel dropped the request. ipykernel does so when the
				// interrupt lands before the cell's code starts.
				if (deliveredAt != 0)
					fail(ErrorDetail{"Interrupted", "the kernel stopped the run at the interrupt, before it answered", {}, false});
				else
					fail(ErrorDetail{"KernelNoReply", "the kernel went idle without answering the request", {}, false});
				break;
			}
			if (!acknowledged && _busyWith.empty() && std::chrono::steady_clock::now() - waitingSince > std::chrono::seconds(10))
			{
				// A kernel announces every request it takes at once, or is busy with
				// an earlier one; silence this long means the request went nowhere
				// (channels of a replaced kernel).
				_restarted = true;
				close();
				fail(ErrorDetail{"KernelNotResponding", "the kernel did not take the request within 10 s; the next run reconnects", {}, false});
				break;
			}
			if (!message)
			{
				if (replied && std::chrono::steady_clock::now() - repliedAt > std::chrono::seconds(2))
				{
					// The reply came and the kernel's idle status did not: it was
					// published before our subscription caught up. The run is over.
					break;
				}
				if (kernelGone())
				{
					_kernelPid = 0;   // Jupyter starts a new one
					_restarted = true;
					close();          // the new kernel gets a fresh connection
					fail(ErrorDetail{"KernelDied", "the kernel died; Jupyter restarts it and its state is lost", {}, false});
					break;
				}
				continue;
			}
			auto header = message->getObject("header");
			auto parent = message->getObject("parent_header");
			std::string type = header ? header->optValue<std::string>("msg_type", "") : "";
			auto body = message->getObject("content");
			if (type == "status" && body)
			{
				std::string state = body->optValue<std::string>("execution_state", "");
				if (state == "restarting" || state == "dead")
				{
					_kernelPid = 0;
					_restarted = true;
					close();
					// The kernel died under us; Jupyter restarts it (state is lost).
					fail(ErrorDetail{"KernelDied", "the kernel died and was restarted; its state is lost", {}, false});
					break;
				}
			}
			// Only messages answering our request count: an idle status of another
			// request (Jupyter's own kernel_info nudge, say) must not end this run.
			const std::string parentId = parent ? parent->optValue<std::string>("msg_id", "") : "";
			if (type == "status" && body)
			{
				// What the kernel is busy with, across runs: an earlier run may have
				// ended for its client while the kernel still runs its request (after
				// an interrupt the code ignored); this one then waits its turn, and
				// is not "not responding".
				std::string state = body->optValue<std::string>("execution_state", "");
				if (state == "busy")
					_busyWith = parentId;
				else if (state == "idle" && parentId == _busyWith)
					_busyWith.clear();
				if (!acknowledged) waitingSince = std::chrono::steady_clock::now();
			}
			if (parentId != msgId) continue;
			if (!body) continue;
			if (!acknowledged) acknowledgedAt = steadyMillis();
			acknowledged = true;
			if (type == "stream")
			{
				std::string text = body->optValue<std::string>("text", "");
				if (text.empty()) continue;
				if (!_hookTag.empty() && text.size() > _hookTag.size() && text.compare(0, _hookTag.size(), _hookTag) == 0)
				{
					hook(text.substr(_hookTag.size()), hookResult, hookError);
					continue;
				}
				sink.emit(body->optValue<std::string>("name", "stdout") == "stderr" ? StreamEvent::stderrText(text) : StreamEvent::stdoutText(text));
			}
			else if (type == "execute_result" || type == "display_data")
			{
				int count = body->optValue<int>("execution_count", 0);
				if (type == "execute_result" && count > 0) sink.emit(StreamEvent::count(count));
				sink.emit(StreamEvent::result(results(body->getObject("data"))));
			}
			else if (type == "error")
			{
				ErrorDetail detail;
				detail.ename = body->optValue<std::string>("ename", "");
				detail.evalue = body->optValue<std::string>("evalue", "");
				if (auto trace = body->getArray("traceback"))
					for (std::size_t i = 0; i < trace->size(); ++i)
						detail.traceback.push_back(trace->getElement<std::string>(static_cast<unsigned>(i)));
				fail(std::move(detail));
			}
			else if (type == "execute_reply")
			{
				replied = true;
				repliedAt = std::chrono::steady_clock::now();
				std::string status = body->optValue<std::string>("status", "ok");
				if (status == "error")
				{
					// Kept for the end: ijavascript replies before its error message
					// arrives on iopub, and tslab sends no error message at all.
					replyError = ErrorDetail{body->optValue<std::string>("ename", "Error"), body->optValue<std::string>("evalue", ""), {}, false};
					if (!_hookTag.empty()) _quietUntil = repliedAt + std::chrono::milliseconds(250);
				}
				else if ((status == "aborted" || status == "abort") && resent < 3)
				{
					// ipykernel aborts requests for a moment after an error (stop_on_error),
					// and this one came right after the previous run's error or
					// interrupt: it did not run at all, so send it again.
					++resent;
					std::this_thread::sleep_for(std::chrono::milliseconds(50 * resent));
					msgId = _clientSession + "-" + std::to_string(++_counter);
					send("shell", "execute_request", content, msgId);
					replied = idle = acknowledged = false;
					waitingSince = std::chrono::steady_clock::now();
					continue;
				}
				else if (status == "aborted" || status == "abort")
				{
					replyError = ErrorDetail{"ExecutionAborted", "the kernel aborted the request", {}, false};
				}
				else
				{
					replyCount = body->optValue<int>("execution_count", 0) - _countOffset;
				}
			}
			else if (type == "status" && body->optValue<std::string>("execution_state", "") == "idle")
			{
				idle = true;
				idleAt = steadyMillis();
			}
		}
		if (!errorSent && (hookError || replyError))
		{
			fail(hookError ? *hookError : *replyError);
		}
		else if (hookResult && !errorSent)
		{
			// tslab's value comes as output on iopub, which may arrive after the
			// reply on shell (measured: about one run in ten); the idle status comes
			// after all output, so by now it is here.
			if (replyCount > 0) sink.emit(StreamEvent::count(replyCount));
			sink.emit(StreamEvent::result(hookResult));
		}
	}
	catch (Poco::Exception& exc)
	{
		// The connection dropped (kernel or server gone): end the run with an error
		// event now; the next run reconnects.
		close();
		if (!errorSent)
			fail(ErrorDetail{"KernelConnectionLost",
				"the connection to the kernel was lost (" + reason(exc) + "); the next run reconnects", {}, false});
	}
	sink.emit(StreamEvent::complete(millisSince(start)));
}


KernelExecutor::KernelExecutor(JupyterServer& server, std::map<std::string, std::string> kernels, const JupyterSettings& settings):
	_server(server),
	_kernels(std::move(kernels)),
	_settings(settings)
{
}


KernelExecutor::~KernelExecutor() = default;


const std::map<std::string, std::string>& KernelExecutor::kernels() const
{
	return _kernels;
}


void KernelExecutor::startKernel(const std::string& language, const std::string& cwd, std::string& sessionId, std::string& kernelId, int& generation)
{
	auto spec = _kernels.find(language);
	if (spec == _kernels.end())
		throw Poco::NotFoundException("no kernel is configured for language " + language);
	std::string name = compact(uuid());
	std::string dir = cwd.empty() ? std::string("/tmp") : cwd;
	if (dir.size() > 1 && dir.back() == '/') dir.pop_back();
	Paths::createDirectories(dir);   // as upstream: the context's cwd is created
	Poco::JSON::Object body;
	// The kernel runs in this notebook's directory: the embedded server takes
	// the path as absolute (its root_dir is an empty private directory, see
	// JupyterServer); an external server rooted at "/" does the same.
	body.set("path", dir + "/" + name + ".ipynb");
	body.set("name", name);
	body.set("type", "notebook");
	Poco::JSON::Object::Ptr kernel = new Poco::JSON::Object;
	kernel->set("name", spec->second);
	body.set("kernel", kernel);
	std::ostringstream out;
	body.stringify(out);
	int status = 0;
	_server.base(_settings.startupTimeout);   // wait for the server: the generation must be the one that serves us
	generation = _server.generation();
	std::string answer = JupyterClient(_server).request("POST", "/api/sessions", out.str(), status, _settings.startupTimeout);
	if (status != 200 && status != 201)
	{
		std::string message = answer;
		try
		{
			message = parseObject(answer)->optValue<std::string>("message", answer);
		}
		catch (...)
		{
		}
		throw Poco::RuntimeException("Jupyter refused to start kernel " + spec->second + " (HTTP " + std::to_string(status) + "): " + message);
	}
	auto session = parseObject(answer);
	sessionId = session->getValue<std::string>("id");
	kernelId = session->getObject("kernel")->getValue<std::string>("id");
}


std::shared_ptr<KernelContext> KernelExecutor::create(const std::string& language, const std::string& cwd)
{
	std::string sessionId, kernelId;
	int generation = 0;
	startKernel(language, cwd, sessionId, kernelId, generation);
	auto pContext = std::make_shared<KernelContext>(sessionId, sessionId, kernelId, language, cwd, generation);
	try
	{
		pContext->waitReady(_server, _settings.kernelStartTimeout);
	}
	catch (Poco::Exception&)
	{
		int ignored = 0;
		JupyterClient(_server).request("DELETE", "/api/sessions/" + sessionId, "", ignored, std::chrono::seconds(10));
		throw;
	}
	std::lock_guard<std::mutex> lock(_mutex);
	_contexts[sessionId] = pContext;
	return pContext;
}


std::shared_ptr<KernelContext> KernelExecutor::find(const std::string& id)
{
	std::lock_guard<std::mutex> lock(_mutex);
	auto it = _contexts.find(id);
	return it == _contexts.end() ? nullptr : it->second;
}


ContextInfo KernelExecutor::createContext(const std::string& language, const std::string& cwd)
{
	auto pContext = create(language, cwd);
	return ContextInfo{pContext->id(), language, cwd};
}


std::vector<ContextInfo> KernelExecutor::listContexts()
{
	std::lock_guard<std::mutex> lock(_mutex);
	std::vector<ContextInfo> result;
	for (const auto& c: _contexts)
		result.push_back(ContextInfo{c.first, c.second->language(), c.second->cwd()});
	return result;
}


std::optional<ContextInfo> KernelExecutor::findContext(const std::string& id)
{
	auto pContext = find(id);
	if (!pContext) return std::nullopt;
	return ContextInfo{id, pContext->language(), pContext->cwd()};
}


bool KernelExecutor::deleteContext(const std::string& id)
{
	std::shared_ptr<KernelContext> pContext;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		auto it = _contexts.find(id);
		if (it == _contexts.end()) return false;
		pContext = it->second;
		_contexts.erase(it);
	}
	{
		std::lock_guard<std::mutex> lock(_defaultMutex);
		for (auto it = _defaults.begin(); it != _defaults.end();)
			it = it->second == id ? _defaults.erase(it) : std::next(it);
	}
	pContext->close();
	int status = 0;
	JupyterClient(_server).request("DELETE", "/api/sessions/" + pContext->sessionId(), "", status, std::chrono::seconds(10));
	if (status != 200 && status != 204 && status != 404)
		throw Poco::RuntimeException("Jupyter answered HTTP " + std::to_string(status));
	return true;
}


void KernelExecutor::run(const ExecRequest& request, EventSink& sink)
{
	std::shared_ptr<KernelContext> pContext;
	if (!request.contextId.empty())
	{
		pContext = find(request.contextId);
		if (!pContext) throw ApiException::runtimeError("error running codes context not found");
	}
	else
	{
		try
		{
			pContext = defaultContext(request.language);
		}
		catch (Poco::Exception& exc)
		{
			throw ApiException::runtimeError("error running codes cannot create the default " + request.language + " context: " + reason(exc));
		}
	}
	std::unique_lock<std::mutex> rebindLock(_defaultMutex);
	if (pContext->generation() != _server.generation())
	{
		// The Jupyter server was restarted and the kernel went with it: give the
		// context a new one, and say so.
		std::string sessionId, kernelId;
		int generation = 0;
		try
		{
			startKernel(pContext->language(), pContext->cwd(), sessionId, kernelId, generation);
		}
		catch (Poco::Exception& exc)
		{
			throw ApiException::runtimeError("error running codes the Jupyter server was restarted and no new kernel could be started: " + reason(exc));
		}
		pContext->rebind(sessionId, kernelId, generation);
		std::lock_guard<std::mutex> lock(_mutex);
		_notices[pContext->id()] = true;
	}
	rebindLock.unlock();
	bool notice = false;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		notice = _notices.erase(pContext->id()) > 0;
	}
	pContext->run(_server, request.code, sink, notice);
}


std::shared_ptr<KernelContext> KernelExecutor::defaultContext(const std::string& language)
{
	// Created on first use, once, even when several requests arrive together.
	std::lock_guard<std::mutex> lock(_defaultMutex);
	std::shared_ptr<KernelContext> pContext;
	auto it = _defaults.find(language);
	if (it != _defaults.end()) pContext = find(it->second);
	if (!pContext || pContext->generation() != _server.generation())
	{
		pContext = create(language, "");
		_defaults[language] = pContext->id();
	}
	return pContext;
}


void KernelExecutor::prewarm(const std::string& language)
{
	try
	{
		defaultContext(language);
		Poco::Logger::get("execd.jupyter").information("default %s context ready", language);
	}
	catch (Poco::Exception& exc)
	{
		// Without a server in the image that was said once already.
		if (!_server.absent())
			Poco::Logger::get("execd.jupyter").warning("could not pre-warm the default %s context: %s", language, exc.displayText());
	}
}


bool KernelExecutor::interrupt(const std::string& id)
{
	auto pContext = find(id);
	if (!pContext) return false;
	int status = 0;
	JupyterClient(_server).request("POST", "/api/kernels/" + pContext->kernelId() + "/interrupt", "", status, std::chrono::seconds(10));
	if (status != 200 && status != 204)
		throw Poco::RuntimeException("Jupyter answered HTTP " + std::to_string(status) + " to the interrupt");
	pContext->interrupted();
	return true;
}


void KernelExecutor::shutdown()
{
	std::lock_guard<std::mutex> lock(_mutex);
	for (auto& c: _contexts) c.second->abort();
}


} } // namespace execd::jupyter
