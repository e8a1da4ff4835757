// How a go context builds and runs a cell: the program it composes from the
// remembered declarations, the toolchain runs, and the compiler's messages mapped
// back to cell lines.

#include "GoContext.h"
#include "execd/ApiException.h"
#include "execd/CaptureSink.h"
#include "execd/OutputPump.h"
#include "execd/Paths.h"
#include "execd/StreamEvent.h"
#include "Poco/File.h"
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <fstream>
#include <regex>
#include <set>
#include <sys/wait.h>
#include <unistd.h>


namespace execd {
namespace go {


namespace {


long long millisSince(std::chrono::steady_clock::time_point start)
{
	return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
}


} // namespace


GoContext::GoContext(std::string id, std::string cwd, const GoSettings& settings, ResourceGroup::Ptr pGroup):
	_id(std::move(id)),
	_cwd(std::move(cwd)),
	_settings(settings),
	_pGroup(std::move(pGroup)),
	_dir(settings.workRoot + "/execd-go-" + _id)
{
	Paths::createDirectories(_dir + "/cache");
	Paths::createDirectories(_dir + "/gopath");
}


GoContext::~GoContext()
{
	try
	{
		Poco::File(_dir).remove(true);
	}
	catch (...)
	{
	}
}


const std::string& GoContext::id() const
{
	return _id;
}


const std::string& GoContext::cwd() const
{
	return _cwd;
}


void GoContext::run(const std::string& code, EventSink& sink)
{
	std::unique_lock<std::mutex> runLock(_runMutex, std::try_to_lock);
	if (!runLock.owns_lock()) throw ApiException::runtimeError("error running codes session is busy");
	auto begin = std::chrono::steady_clock::now();
	_interrupted = false;
	std::optional<Usage> usage;
	if (sink.wantsOutcome())
	{
		usage.emplace();
		usage->pGroup = _pGroup.get();
		usage->oomKillsBefore = RunUsage::oomKills(_pGroup.get());
	}
	Usage* pUsage = usage ? &*usage : nullptr;
	sink.emit(StreamEvent::init(_id));
	++_count;
	Cell cell = split(code);
	std::vector<int> lineMap;   // program line (0-based) -> cell line, 0 = not the cell's
	std::string program = cell.wholeProgram ? code : compose(cell, lineMap);
	if (cell.wholeProgram)
		for (std::size_t i = 0; i < lines(code).size(); ++i) lineMap.push_back(static_cast<int>(i) + 1);
	{
		std::ofstream out(_dir + "/main.go", std::ios::trunc);
		out << program;
	}
	// Build.
	std::string buildErrors;
	int status = execute({_settings.goBinary, "build", "-o", _dir + "/prog", _dir + "/main.go"}, _dir, nullptr, &buildErrors, pUsage);
	if (_interrupted)
	{
		interrupted(sink, begin);
		return;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
	{
		compileError(buildErrors, lineMap, sink);
		complete(sink, begin, pUsage, status);
		return;
	}
	if (!cell.wholeProgram) remember(cell);
	// Run.
	std::string errors;
	status = execute({_dir + "/prog"}, _cwd.empty() ? std::string() : _cwd, &sink, &errors, pUsage);
	if (_interrupted)
	{
		interrupted(sink, begin);
		return;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
	{
		ErrorDetail detail;
		std::size_t panic = errors.find("panic: ");
		if (panic != std::string::npos)
		{
			detail.ename = "panic";
			std::size_t eol = errors.find('\n', panic);
			detail.evalue = errors.substr(panic + 7, eol == std::string::npos ? std::string::npos : eol - panic - 7);
		}
		else
		{
			detail.ename = "ExitError";
			detail.evalue = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status)) : "signal " + std::to_string(WTERMSIG(status));
		}
		detail.traceback = lines(errors);
		sink.emit(StreamEvent::status("error"));
		sink.emit(StreamEvent::failure(detail));
	}
	complete(sink, begin, pUsage, status);
}


void GoContext::complete(EventSink& sink, std::chrono::steady_clock::time_point begin, const Usage* pUsage, int waitStatus)
{
	StreamEvent last = StreamEvent::complete(millisSince(begin));
	if (pUsage) last.outcome = pUsage->outcome(waitStatus);
	sink.emit(last);
}


void GoContext::Usage::add(const Subprocess& process)
{
	lastPid = process.pid();
	const struct rusage* p = process.usage();
	if (!p) return;
	auto sum = [](struct timeval& into, const struct timeval& more)
	{
		into.tv_sec += more.tv_sec;
		into.tv_usec += more.tv_usec;
		if (into.tv_usec >= 1000000)
		{
			into.tv_sec += 1;
			into.tv_usec -= 1000000;
		}
	};
	sum(total.ru_utime, p->ru_utime);
	sum(total.ru_stime, p->ru_stime);
	total.ru_maxrss = std::max(total.ru_maxrss, p->ru_maxrss);
	known = true;
}


RunOutcome GoContext::Usage::outcome(int waitStatus) const
{
	// The build's and the program's CPU time together, the larger peak; how the
	// last of them ended.
	return RunUsage::fromWait(waitStatus, known ? &total : nullptr, oomKillsBefore, lastPid, pGroup);
}


void GoContext::interrupt()
{
	std::lock_guard<std::mutex> lock(_processMutex);
	_interrupted = true;
	if (_pProcess) _pProcess->signalGroup(SIGKILL);
}


void GoContext::stop()
{
	interrupt();
}


std::string GoContext::compose(const Cell& cell, std::vector<int>& lineMap)
{
	// A name the cell declares again replaces the remembered declaration.
	std::set<std::string> redeclared;
	for (const auto& d: cell.decls)
	{
		std::string n = declName(d.first);
		if (!n.empty()) redeclared.insert(n);
	}
	std::vector<std::pair<std::string, int>> decls;
	for (const auto& d: _decls)
		if (!redeclared.count(d.first)) decls.emplace_back(d.second, 0);
	for (const auto& d: cell.decls) decls.push_back(d);

	std::vector<std::string> used;
	for (const auto& s: cell.stmts)
	{
		for (std::string& n: shortDeclNames(s.first)) used.push_back(std::move(n));
	}
	std::string code;
	auto add = [&](const std::string& text, int cellLine) {
		int k = 0;
		for (const auto& l: lines(text))
		{
			code += l + "\n";
			lineMap.push_back(cellLine > 0 ? cellLine + k : 0);
			++k;
		}
	};
	std::string rest;
	for (const auto& d: decls) rest += d.first + "\n";
	for (const auto& s: cell.stmts) rest += s.first + "\n";
	add("package main", 0);
	std::set<std::string> seen;
	std::vector<std::string> imports = _imports;
	imports.insert(imports.end(), cell.imports.begin(), cell.imports.end());
	// Standard packages a cell may use without importing them (as notebook Go
	// kernels do with goimports), unless an explicit import takes the name.
	static const char* const IMPLICIT[] = {"\"fmt\"", "\"strings\"", "\"strconv\"", "\"math\"", "\"os\"", "\"time\"",
		"\"sort\"", "\"errors\"", "\"bytes\"", "\"io\"", "\"bufio\"", "\"regexp\"", "\"sync\"", "\"math/rand\"",
		"\"encoding/json\"", "\"path/filepath\"", "\"unicode\"", "\"context\""};
	std::set<std::string> names;
	for (const auto& spec: imports) names.insert(importName(spec));
	for (const char* spec: IMPLICIT)
		if (!names.count(importName(spec))) imports.push_back(spec);
	for (const auto& spec: imports)
	{
		if (!seen.insert(spec).second) continue;
		std::string name = importName(spec);
		// Unused imports do not compile: only those the program mentions.
		if (!name.empty() && !mentions(rest, name)) continue;
		add("import " + spec, 0);
	}
	for (const auto& d: decls) add(d.first, d.second);
	add("func main() {", 0);
	for (const auto& s: cell.stmts) add(s.first, s.second);
	for (const auto& n: used) add("_ = " + n, 0);
	add("}", 0);
	return code;
}


void GoContext::remember(const Cell& cell)
{
	for (const auto& spec: cell.imports)
		if (std::find(_imports.begin(), _imports.end(), spec) == _imports.end()) _imports.push_back(spec);
	for (const auto& d: cell.decls)
	{
		std::string n = declName(d.first);
		if (n.empty()) n = "#" + std::to_string(_anonymous++);
		auto it = std::find_if(_decls.begin(), _decls.end(), [&n](const auto& e) { return e.first == n; });
		if (it != _decls.end()) it->second = d.first;
		else _decls.emplace_back(n, d.first);
	}
}


void GoContext::compileError(const std::string& output, const std::vector<int>& lineMap, EventSink& sink)
{
	ErrorDetail detail;
	detail.ename = "CompileError";
	static const std::regex location("(?:\\./)?(?:[^\\s:]*/)?main\\.go:(\\d+):(\\d+): ");
	for (const auto& l: lines(output))
	{
		if (l.empty() || l[0] == '#') continue;
		std::smatch m;
		std::string mapped = l;
		if (std::regex_search(l, m, location))
		{
			std::size_t programLine = static_cast<std::size_t>(std::stoi(m[1].str()));
			int cellLine = programLine >= 1 && programLine <= lineMap.size() ? lineMap[programLine - 1] : 0;
			std::string where = cellLine > 0 ? "line " + std::to_string(cellLine) + ":" + m[2].str() + ": " : "(earlier declarations): ";
			mapped = m.prefix().str() + where + m.suffix().str();
		}
		if (detail.evalue.empty()) detail.evalue = mapped;
		detail.traceback.push_back(mapped);
	}
	if (detail.evalue.empty()) detail.evalue = "the program did not compile";
	sink.emit(StreamEvent::status("error"));
	sink.emit(StreamEvent::failure(detail));
}


void GoContext::interrupted(EventSink& sink, std::chrono::steady_clock::time_point begin)
{
	sink.emit(StreamEvent::status("error"));
	sink.emit(StreamEvent::failure(ErrorDetail{"Interrupted", "the run was interrupted; remembered declarations are kept", {}, false}));
	sink.emit(StreamEvent::complete(millisSince(begin)));
}


int GoContext::execute(const std::vector<std::string>& argv, const std::string& cwd, EventSink* pSink, std::string* pErrors, Usage* pUsage)
{
	auto process = std::make_shared<Subprocess>();
	Subprocess::Options o;
	o.argv = argv;
	o.cwd = cwd;
	o.env = Subprocess::environment();
	o.group = _pGroup;
	o.env.insert(o.env.end(), {"GOCACHE=" + _dir + "/cache", "GOPATH=" + _dir + "/gopath", "GOFLAGS=-mod=mod", "GO111MODULE=auto", "CGO_ENABLED=0"});
	try
	{
		process->start(o);
	}
	catch (Poco::Exception& exc)
	{
		if (pErrors) *pErrors = exc.displayText();
		return 127 << 8;
	}
	{
		std::lock_guard<std::mutex> lock(_processMutex);
		_pProcess = process;
		if (_interrupted) process->signalGroup(SIGKILL);
	}
	// Its output as it comes, one event a read; stderr kept for the error
	// detail. An interrupt kills it (interrupt()), which ends the pump.
	CaptureSink capture(pSink);
	OutputPump::Options options;
	options.whenClientGone = OutputPump::WhenClientGone::KEEP_READING;
	OutputPump pump(*process, capture, options);
	pump.setFilters(std::make_unique<ChunkFilter>(EventType::STDOUT), std::make_unique<ChunkFilter>(EventType::STDERR));
	pump.run();
	pump.finish();
	if (pErrors) *pErrors += capture.errors();
	{
		// Out of interrupt()'s reach before the reap: it signals the group by pid.
		std::lock_guard<std::mutex> lock(_processMutex);
		_pProcess.reset();
	}
	const int status = process->wait();
	if (pUsage) pUsage->add(*process);
	return status;
}


} } // namespace execd::go
