// The java (JShell in a JVM) and go (Go toolchain) modules: real JVM, real Go.

#include "ExecdProcess.h"
#include "execd/Subprocess.h"
#include "Poco/File.h"
#include "Poco/JSON/Object.h"
#include <atomic>
#include <csignal>
#include <cppunit/extensions/HelperMacros.h>
#include <dirent.h>
#include <fstream>
#include <future>
#include <poll.h>
#include <regex>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>


using namespace execd::test;


namespace {


ExecdProcess& daemon()
{
	static std::unique_ptr<ExecdProcess> pExecd;
	ExecdProcess::Options o;
	o.testModules = false;
	o.properties = {"execd.modules.load = java, go"};
	return ExecdProcess::keep(pExecd, o);
}


std::string context(const std::string& language)
{
	HttpResult r = request(daemon().port(), "POST", "/code/context", "{\"language\":\"" + language + "\"}");
	CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
	return object(r.body)->getValue<std::string>("id");
}


struct Run
{
	std::vector<Poco::JSON::Object::Ptr> events;
	std::string types;
	std::string out;
	std::string err;
	std::string result;
	Poco::JSON::Object::Ptr error;
	std::string raw;
};


Run runOn(int port, const std::map<std::string, std::string>& headers, const std::string& language, const std::string& id,
	const std::string& code, const DataCallback& onData = nullptr)
{
	HttpResult r = request(port, "POST", "/code",
		"{\"code\":" + quote(code) + ",\"context\":{\"id\":\"" + id + "\",\"language\":\"" + language + "\"}}", headers, onData);
	Run out;
	out.raw = r.raw;
	for (const std::string& e: withoutPings(sseEvents(r.body)))
	{
		auto o = object(e);
		if (!o->has("type")) continue;
		std::string type = o->getValue<std::string>("type");
		out.events.push_back(o);
		out.types += (out.types.empty() ? "" : ",") + type;
		if (type == "stdout") out.out += o->getValue<std::string>("text");
		if (type == "stderr") out.err += o->getValue<std::string>("text");
		if (type == "result") out.result = o->getObject("results")->getValue<std::string>("text");
		if (type == "error") out.error = o->getObject("error");
	}
	return out;
}


Run run(const std::string& language, const std::string& id, const std::string& code, const DataCallback& onData = nullptr)
{
	return runOn(daemon().port(), {}, language, id, code, onData);
}


// The IJava kernel's traceback styles (jupyter-jvm-basekernel's TextColor):
// messages bold red, source lines bold black behind a "|   " margin, the span a
// diagnostic points at on red.
const std::string RESET = "\033[0m";
const std::string RED = "\033[1m\033[31m";
const std::string BLACK = "\033[1m\033[30m";
const std::string MARKED = BLACK + "\033[41m";
const std::string MARGIN = BLACK + "|   ";
const std::string RULE = RED + std::string(75, '-') + RESET;


std::string message(const std::string& text)
{
	return RED + text + RESET;
}


std::string sourceLine(const std::string& text)
{
	return MARGIN + BLACK + text + RESET;
}


std::vector<std::string> traceback(const Run& r)
{
	std::vector<std::string> lines;
	CPPUNIT_ASSERT_MESSAGE(r.raw, !r.error.isNull());
	auto array = r.error->getArray("traceback");
	for (std::size_t i = 0; array && i < array->size(); ++i) lines.push_back(array->getElement<std::string>(static_cast<unsigned>(i)));
	return lines;
}


void assertTraceback(const Run& r, const std::vector<std::string>& expected)
	// The whole traceback, line by line.
{
	std::vector<std::string> actual = traceback(r);
	auto joined = [](const std::vector<std::string>& lines) {
		std::string text;
		for (const auto& line: lines) text += line + "\n";
		return text;
	};
	CPPUNIT_ASSERT_EQUAL(joined(expected), joined(actual));
}


void assertError(const Run& r, const std::string& ename, const std::string& evalue)
	// Output may come first; the run ends in status, error and execution_complete.
{
	const std::string end = "status,error,execution_complete";
	CPPUNIT_ASSERT_MESSAGE(r.raw, r.types.rfind("init,", 0) == 0);
	CPPUNIT_ASSERT_MESSAGE(r.raw, r.types.size() > end.size() && r.types.compare(r.types.size() - end.size(), end.size(), end) == 0);
	CPPUNIT_ASSERT_EQUAL_MESSAGE(r.raw, ename, r.error->getValue<std::string>("ename"));
	CPPUNIT_ASSERT_EQUAL_MESSAGE(r.raw, evalue, r.error->getValue<std::string>("evalue"));
}


Run interruptLoop(const std::string& language, const std::string& id, const std::string& code, const std::string& started,
	std::chrono::milliseconds delay = std::chrono::milliseconds(0))
	// Runs code, interrupts it delay after its output shows started, and expects the end within 3 s.
{
	std::promise<void> begun;
	std::atomic<bool> seen{false};
	auto running = std::async(std::launch::async, [&] {
		return run(language, id, code, [&](const std::string& soFar) {
			if (!seen && soFar.find(started) != std::string::npos)
			{
				seen = true;
				begun.set_value();
			}
		});
	});
	CPPUNIT_ASSERT(begun.get_future().wait_for(std::chrono::seconds(20)) == std::future_status::ready);
	std::this_thread::sleep_for(delay);
	auto start = std::chrono::steady_clock::now();
	CPPUNIT_ASSERT_EQUAL(200, request(daemon().port(), "DELETE", "/code?id=" + id).status);
	Run r = running.get();
	CPPUNIT_ASSERT(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
	return r;
}


} // namespace


class IntegrationLanguagesTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(IntegrationLanguagesTest);
	CPPUNIT_TEST(testJavaState);
	CPPUNIT_TEST(testJavaExceptionIsEvalException);
	CPPUNIT_TEST(testJavaCompileErrorIsCompilationException);
	CPPUNIT_TEST(testJavaIncompleteAndUnresolved);
	CPPUNIT_TEST(testJavaCyclicCauseKeepsTheContext);
	CPPUNIT_TEST(testJavaInterruptAndDelete);
	CPPUNIT_TEST(testJavaInterruptWhileCompiling);
	CPPUNIT_TEST(testJavaRunnerKeepsEveryRequest);
	CPPUNIT_TEST(testJavaDeadJvm);
	CPPUNIT_TEST(testGoState);
	CPPUNIT_TEST(testGoErrors);
	CPPUNIT_TEST(testExitDetails);
	CPPUNIT_TEST(testGoInterruptAndDelete);
	CPPUNIT_TEST(testBadInput);
	CPPUNIT_TEST(testTokensDoNotReachRunners);
	CPPUNIT_TEST(testRuntimesAreFoundWhereTheImageHasThem);
	CPPUNIT_TEST_SUITE_END();

public:
	void testJavaState()
	{
		std::string id = context("java");
		Run r = run("java", id, "int x = 41;");
		CPPUNIT_ASSERT_EQUAL(std::string("init,execution_complete"), r.types);
		r = run("java", id, "System.out.println(x + 1);\nSystem.err.println(\"to stderr\");");
		CPPUNIT_ASSERT_EQUAL(std::string("42\n"), r.out);
		CPPUNIT_ASSERT_EQUAL(std::string("to stderr\n"), r.err);
		r = run("java", id, "int triple(int a) { return a * 3; }\nclass Point { int x = 5; }");
		CPPUNIT_ASSERT(r.error.isNull());
		r = run("java", id, "triple(new Point().x)");
		CPPUNIT_ASSERT_EQUAL(std::string("init,execution_count,result,execution_complete"), r.types);
		CPPUNIT_ASSERT_EQUAL(std::string("15"), r.result);
		r = run("java", id, "import java.util.*;\nList<Integer> l = new ArrayList<>(List.of(3, 1, 2));\nCollections.sort(l);\nl");
		CPPUNIT_ASSERT_EQUAL(std::string("[1, 2, 3]"), r.result);
		CPPUNIT_ASSERT(request(daemon().port(), "GET", "/code/contexts?language=java").body.find(id) != std::string::npos);
	}

	void testJavaExceptionIsEvalException()
	{
		// As upstream's e2e suites assert: ename EvalException; the real class
		// heads the stack trace, under the kernel's red rule.
		std::string id = context("java");
		Run r = run("java", id, "int x = 10 / 0; // ArithmeticException");
		assertError(r, "EvalException", "/ by zero");
		std::vector<std::string> lines = traceback(r);
		CPPUNIT_ASSERT_EQUAL(std::size_t(3), lines.size());
		CPPUNIT_ASSERT_EQUAL(RULE, lines[0]);
		CPPUNIT_ASSERT_EQUAL(message("java.lang.ArithmeticException: / by zero"), lines[1]);
		CPPUNIT_ASSERT_MESSAGE(lines[2], std::regex_match(lines[2], std::regex("\033\\[1m\033\\[31m\tat \\.\\(#[0-9]+:1\\)\033\\[0m")));
		// Output before the failure is kept, the rest of the cell is not run.
		r = run("java", id, "System.out.println(\"before\");\nthrow new IllegalStateException(\"boom\");\nSystem.out.println(\"after\");");
		CPPUNIT_ASSERT_EQUAL(std::string("before\n"), r.out);
		assertError(r, "EvalException", "boom");
		CPPUNIT_ASSERT_EQUAL(message("java.lang.IllegalStateException: boom"), traceback(r).at(1));
		// Frames inside the JDK are kept.
		r = run("java", id, "Integer.parseInt(\"zz\")");
		assertError(r, "EvalException", "For input string: \"zz\"");
		lines = traceback(r);
		CPPUNIT_ASSERT_EQUAL(message("java.lang.NumberFormatException: For input string: \"zz\""), lines.at(1));
		CPPUNIT_ASSERT_EQUAL(message("\tat java.base/java.lang.NumberFormatException.forInputString(NumberFormatException.java:67)"), lines.at(2));
		// No message: IJava says "null".
		r = run("java", id, "throw new RuntimeException();");
		assertError(r, "EvalException", "null");
		CPPUNIT_ASSERT_EQUAL(message("java.lang.RuntimeException: null"), traceback(r).at(1));
		// A cause follows as in printStackTrace (IJava's executor drops it).
		r = run("java", id, "throw new RuntimeException(\"outer\", new IllegalStateException(\"inner\"));");
		assertError(r, "EvalException", "outer");
		lines = traceback(r);
		CPPUNIT_ASSERT_EQUAL(std::size_t(5), lines.size());
		CPPUNIT_ASSERT_EQUAL(message("java.lang.RuntimeException: outer"), lines[1]);
		CPPUNIT_ASSERT_EQUAL(message("Caused by: java.lang.IllegalStateException: inner"), lines[3]);
		CPPUNIT_ASSERT_EQUAL(message("\t... 1 more"), lines[4]);
	}

	void testJavaCompileErrorIsCompilationException()
	{
		// Each diagnostic: the source with the span on red, the message without
		// its "location:" line, a blank line. evalue is empty, as in IJava.
		std::string id = context("java");
		Run r = run("java", id, "int y = \"s\";");
		assertError(r, "CompilationException", "");
		assertTraceback(r, {sourceLine("int y = ") + MARKED + "\"s\"" + RESET + BLACK + ";" + RESET,
			message("incompatible types: java.lang.String cannot be converted to int"), ""});
		r = run("java", id, "System.out.println(undefinedThing);");
		assertError(r, "CompilationException", "");
		assertTraceback(r, {sourceLine("System.out.println(") + MARKED + "undefinedThing" + RESET + BLACK + ");" + RESET,
			message("cannot find symbol"), message("  symbol:   variable undefinedThing"), ""});
		// A span over several lines marks each of them.
		r = run("java", id, "int m = 3;\nint n = m *\n  (m +\n   \"x\");");
		assertError(r, "CompilationException", "");
		assertTraceback(r, {sourceLine("int n = ") + MARKED + "m *" + RESET, MARGIN + MARKED + "  (m +" + RESET,
			MARGIN + MARKED + "   \"x\")" + RESET + BLACK + ";" + RESET, message("bad operand types for binary operator '*'"),
			message("  first type:  int"), message("  second type: java.lang.String"), ""});
		// A declaration that cannot be defined yet is one too (JShell itself would accept it).
		r = run("java", id, "class B extends Missing {}");
		assertError(r, "CompilationException", "");
		assertTraceback(r, {sourceLine("class B extends Missing {}"), message("Unresolved dependencies:"), message("   - class Missing")});
	}

	void testJavaIncompleteAndUnresolved()
	{
		std::string id = context("java");
		Run r = run("java", id, "System.out.println(\"a\");\nfor (int i = 0; i < 3; i++) {");
		CPPUNIT_ASSERT_EQUAL(std::string("a\n"), r.out);
		assertError(r, "IncompleteSourceException", "for (int i = 0; i < 3; i++) {");
		assertTraceback(r, {message("Incomplete input:"), sourceLine("for (int i = 0; i < 3; i++) {")});
		// Not incomplete but malformed: JShell compiles it and says why.
		r = run("java", id, "int q = ;");
		assertError(r, "CompilationException", "");
		CPPUNIT_ASSERT_EQUAL(message("illegal start of expression"), traceback(r).at(1));
		// A method that calls an undefined one is accepted; calling it is the error.
		r = run("java", id, "void f() { g(); }");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.raw, std::string("init,execution_complete"), r.types);
		r = run("java", id, "f()");
		assertError(r, "UnresolvedReferenceException", "Attempt to use definition snippet with unresolved references in MethodSnippet:f/()void-void f() { g(); }");
		assertTraceback(r, {sourceLine("void f() { g(); }"), message("Unresolved dependencies:"), message("   - method g()")});
	}

	void testJavaCyclicCauseKeepsTheContext()
	{
		// JShell's own conversion of the exception overflows its stack; the run
		// still ends with an error and the context keeps its state.
		std::string id = context("java");
		run("java", id, "int kept = 5;");
		Run r = run("java", id, "RuntimeException a = new RuntimeException(\"a\");\nRuntimeException b = new RuntimeException(\"b\", a);\na.initCause(b);\nthrow a;");
		assertError(r, "StackOverflowError", "");
		CPPUNIT_ASSERT_EQUAL(RULE, traceback(r).at(0));
		CPPUNIT_ASSERT_EQUAL(message("java.lang.StackOverflowError"), traceback(r).at(1));
		CPPUNIT_ASSERT_EQUAL(std::string("5"), run("java", id, "kept").result);
	}

	void testJavaInterruptAndDelete()
	{
		std::string id = context("java");
		run("java", id, "int kept = 7;");
		Run r = interruptLoop("java", id, "System.out.println(\"spinning\");\nlong n = 0;\nwhile (true) { n++; }", "spinning");
		CPPUNIT_ASSERT_MESSAGE(r.types, r.types.find("error,execution_complete") != std::string::npos);
		assertError(r, "EvaluationInterruptedException", "");
		std::vector<std::string> lines = traceback(r);
		// The snippet the interrupt came in: usually the loop, an earlier one when it came sooner.
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), lines.size());
		CPPUNIT_ASSERT_MESSAGE(lines[0], lines[0] == sourceLine("while (true) { n++; }") || lines[0] == sourceLine("long n = 0;")
			|| lines[0] == sourceLine("System.out.println(\"spinning\");"));
		CPPUNIT_ASSERT_EQUAL(message("Evaluation interrupted."), lines[1]);
		CPPUNIT_ASSERT_EQUAL(std::string("7"), run("java", id, "kept").result);
		CPPUNIT_ASSERT_EQUAL(200, request(daemon().port(), "DELETE", "/code/contexts/" + id).status);
		CPPUNIT_ASSERT_EQUAL(404, request(daemon().port(), "GET", "/code/contexts/" + id).status);
	}

	void testJavaInterruptWhileCompiling()
	{
		// JShell stops only code that runs: an interrupt that lands while it
		// compiles the loop must still stop the loop once it starts. Compiling a
		// thousand lambdas takes about a second; the interrupt comes 200 ms
		// after the output of the cell's first snippet, so well inside it.
		std::string lambdas;
		for (int i = 0; i < 1000; ++i) lambdas += "java.util.function.IntUnaryOperator f" + std::to_string(i) + " = v -> v + 1; ";
		std::string id = context("java");
		run("java", id, "if (System.nanoTime() == 0) { " + lambdas + "}");   // warms the compiler
		Run r = interruptLoop("java", id, "System.out.println(\"spinning\");\nwhile (true) { if (System.nanoTime() == 0) { " + lambdas + "} }",
			"spinning", std::chrono::milliseconds(200));
		assertError(r, "EvaluationInterruptedException", "");
		CPPUNIT_ASSERT_EQUAL(std::string("2"), run("java", id, "1 + 1").result);
	}

	void testJavaRunnerKeepsEveryRequest()
	{
		// The JShell runner alone, driven as execd drives it: each RUN is written
		// the moment the previous DONE is read. A RUN that came while the thread
		// of the run before was still ending used to be dropped (one in a few
		// hundred), and its /code request hung until the client gave up.
		execd::Subprocess runner;
		execd::Subprocess::Options o;
		o.argv = {"/usr/bin/java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", EXECD_MODULE_DIR "/java", "ExecdJShell"};
		o.env = execd::Subprocess::environment();
		o.control = true;
		runner.start(o);
		std::string pending;
		auto reply = [&]() {
			auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
			for (std::size_t eol; (eol = pending.find('\n')) == std::string::npos;)
			{
				struct pollfd p{runner.controlOut(), POLLIN, 0};
				auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
				if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) return std::string("(no reply)");
				char buffer[4096];
				ssize_t n = ::read(runner.controlOut(), buffer, sizeof(buffer));
				if (n <= 0) return std::string("(closed)");
				pending.append(buffer, static_cast<std::size_t>(n));
			}
			std::size_t eol = pending.find('\n');
			std::string line = pending.substr(0, eol);
			pending.erase(0, eol + 1);
			return line;
		};
		CPPUNIT_ASSERT_EQUAL(std::string("READY"), reply());
		for (int i = 1; i <= 600; ++i)
		{
			std::string code = "int v = " + std::to_string(i) + ";";
			std::string request = "RUN " + std::to_string(code.size()) + "\n" + code;
			CPPUNIT_ASSERT_EQUAL(static_cast<ssize_t>(request.size()), ::write(runner.controlIn(), request.data(), request.size()));
			CPPUNIT_ASSERT_EQUAL("DONE " + std::to_string(i), reply());
		}
		runner.signalGroup(SIGKILL);
		runner.wait();
	}

	void testJavaDeadJvm()
	{
		std::string id = context("java");
		run("java", id, "int lost = 1;");
		Run r = run("java", id, "System.out.println(ProcessHandle.current().pid());");
		int pid = std::stoi(r.out);
		std::promise<void> begun;
		auto running = std::async(std::launch::async, [&] { return run("java", id, "Thread.sleep(30000);"); });
		std::this_thread::sleep_for(std::chrono::milliseconds(500));
		auto start = std::chrono::steady_clock::now();
		::kill(pid, SIGKILL);
		r = running.get();
		CPPUNIT_ASSERT(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
		CPPUNIT_ASSERT_EQUAL(std::string("JvmDied"), r.error->getValue<std::string>("ename"));
		// The next run starts a fresh JVM and says so; the old state is gone.
		r = run("java", id, "System.out.println(\"fresh\");");
		CPPUNIT_ASSERT_EQUAL(std::string("fresh\n"), r.out);
		CPPUNIT_ASSERT(r.err.find("fresh one") != std::string::npos);
	}

	void testGoState()
	{
		std::string id = context("go");
		Run r = run("go", id, "fmt.Println(6*7)");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.raw, std::string("42\n"), r.out);
		CPPUNIT_ASSERT(r.error.isNull());
		r = run("go", id, "func double(n int) int { return n * 2 }\ntype Pair struct{ A, B int }");
		CPPUNIT_ASSERT_MESSAGE(r.raw, r.error.isNull());
		r = run("go", id, "p := Pair{3, 4}\nfmt.Println(double(p.A + p.B))");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.raw, std::string("14\n"), r.out);
		r = run("go", id, "import \"math/big\"");
		r = run("go", id, "fmt.Println(big.NewInt(6).Mul(big.NewInt(6), big.NewInt(7)))");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.raw, std::string("42\n"), r.out);
		// A whole program runs as it is.
		r = run("go", id, "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"whole program\")\n}\n");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.raw, std::string("whole program\n"), r.out);
		// Redefining a function replaces it.
		run("go", id, "func double(n int) int { return n * 10 }");
		CPPUNIT_ASSERT_EQUAL(std::string("30\n"), run("go", id, "fmt.Println(double(3))").out);
	}

	void testGoErrors()
	{
		std::string id = context("go");
		Run r = run("go", id, "x := 1\n\ny := undefinedName + x\nfmt.Println(y)");
		CPPUNIT_ASSERT_EQUAL(std::string("init,status,error,execution_complete"), r.types);
		CPPUNIT_ASSERT_EQUAL(std::string("CompileError"), r.error->getValue<std::string>("ename"));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.raw, std::string("line 3:6: undefined: undefinedName"), r.error->getValue<std::string>("evalue"));
		r = run("go", id, "var s []int\nfmt.Println(s[3])");
		CPPUNIT_ASSERT_EQUAL(std::string("panic"), r.error->getValue<std::string>("ename"));
		CPPUNIT_ASSERT(r.error->getValue<std::string>("evalue").find("index out of range") != std::string::npos);
		r = run("go", id, "os.Exit(3)");
		CPPUNIT_ASSERT_EQUAL(std::string("exit status 3"), r.error->getValue<std::string>("evalue"));
		// A failed cell is not remembered.
		run("go", id, "func broken() int { return \"x\" }");
		CPPUNIT_ASSERT_EQUAL(std::string("ok\n"), run("go", id, "fmt.Println(\"ok\")").out);
	}

	void testExitDetails()
	{
		// With X-Execd-Exit-Details, the final event says how the cell ended and
		// what it cost (README "Exit reasons and usage").
		const std::map<std::string, std::string> details{{"X-Execd-Exit-Details", "1"}};
		auto last = [&](const std::string& language, const std::string& id, const std::string& code)
		{
			Run r = runOn(daemon().port(), details, language, id, code);
			CPPUNIT_ASSERT_MESSAGE(r.raw, !r.events.empty());
			auto o = r.events.back();
			CPPUNIT_ASSERT_EQUAL_MESSAGE(r.raw, std::string("execution_complete"), o->getValue<std::string>("type"));
			CPPUNIT_ASSERT_MESSAGE(r.raw, o->has("exit_reason") && o->has("wall_ms") && o->has("output_bytes"));
			return o;
		};
		const std::string java = context("java");
		auto o = last("java", java, "long s = 0; for (int i = 0; i < 200000000; i++) s += i; System.out.println(\"s\");");
		CPPUNIT_ASSERT_EQUAL(std::string("exited"), o->getValue<std::string>("exit_reason"));
		CPPUNIT_ASSERT_EQUAL(0, o->getValue<int>("exit_code"));
		CPPUNIT_ASSERT_EQUAL(2, o->getValue<int>("output_bytes"));
		CPPUNIT_ASSERT(o->has("cpu_user_ms") && o->has("cpu_system_ms") && o->has("max_rss_kb"));
		o = last("java", java, "throw new IllegalStateException(\"no\");");
		CPPUNIT_ASSERT_EQUAL(std::string("exited"), o->getValue<std::string>("exit_reason"));
		CPPUNIT_ASSERT_EQUAL(1, o->getValue<int>("exit_code"));
		int pid = std::stoi(run("java", java, "System.out.println(ProcessHandle.current().pid());").out);
		auto dying = std::async(std::launch::async, [&] { return last("java", java, "Thread.sleep(30000);"); });
		std::this_thread::sleep_for(std::chrono::milliseconds(500));
		::kill(pid, SIGKILL);
		o = dying.get();
		CPPUNIT_ASSERT_EQUAL(std::string("signaled"), o->getValue<std::string>("exit_reason"));
		CPPUNIT_ASSERT_EQUAL(std::string("SIGKILL"), o->getValue<std::string>("signal"));
		CPPUNIT_ASSERT(!o->has("exit_code"));
		// Go: how the program itself ended, the build's and the program's CPU.
		const std::string go = context("go");
		o = last("go", go, "fmt.Println(\"hi\")");
		CPPUNIT_ASSERT_EQUAL(std::string("exited"), o->getValue<std::string>("exit_reason"));
		CPPUNIT_ASSERT_EQUAL(0, o->getValue<int>("exit_code"));
		CPPUNIT_ASSERT_EQUAL(3, o->getValue<int>("output_bytes"));
		CPPUNIT_ASSERT(o->has("cpu_user_ms") && o->has("cpu_system_ms"));
		o = last("go", go, "os.Exit(3)");
		CPPUNIT_ASSERT_EQUAL(3, o->getValue<int>("exit_code"));
		o = last("go", go, "import \"syscall\"\nsyscall.Kill(os.Getpid(), syscall.SIGTERM)\ntime.Sleep(time.Second)");
		CPPUNIT_ASSERT_EQUAL(std::string("signaled"), o->getValue<std::string>("exit_reason"));
		CPPUNIT_ASSERT_EQUAL(std::string("SIGTERM"), o->getValue<std::string>("signal"));
		// An interrupt.
		auto spinning = std::async(std::launch::async, [&] { return last("go", go, "for {\n}"); });
		std::this_thread::sleep_for(std::chrono::milliseconds(3000));
		CPPUNIT_ASSERT_EQUAL(200, request(daemon().port(), "DELETE", "/code?id=" + go).status);
		o = spinning.get();
		CPPUNIT_ASSERT_EQUAL(std::string("interrupted"), o->getValue<std::string>("exit_reason"));
		// Without the header, none of it.
		Run plain = run("go", go, "os.Exit(3)");
		CPPUNIT_ASSERT(plain.raw.find("exit_reason") == std::string::npos);
	}

	void testGoInterruptAndDelete()
	{
		std::string id = context("go");
		Run r = interruptLoop("go", id, "fmt.Println(\"spinning\")\nfor {\n}", "spinning");
		CPPUNIT_ASSERT_EQUAL(std::string("Interrupted"), r.error->getValue<std::string>("ename"));
		CPPUNIT_ASSERT_EQUAL(std::string("again\n"), run("go", id, "fmt.Println(\"again\")").out);
		CPPUNIT_ASSERT(Poco::File("/tmp/execd-go-" + id).exists());
		CPPUNIT_ASSERT_EQUAL(200, request(daemon().port(), "DELETE", "/code/contexts/" + id).status);
		std::this_thread::sleep_for(std::chrono::milliseconds(200));
		CPPUNIT_ASSERT(!Poco::File("/tmp/execd-go-" + id).exists());
	}

	void testBadInput()
	{
		HttpResult r = request(daemon().port(), "POST", "/code", "{\"code\":\"\",\"context\":{\"language\":\"java\"}}");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		r = request(daemon().port(), "POST", "/code", "{\"context\":{\"language\":\"go\"}}");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		r = request(daemon().port(), "POST", "/code", "{\"code\":\"1\",\"context\":{\"id\":\"nope\",\"language\":\"go\"}}");
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		CPPUNIT_ASSERT(r.body.find("context not found") != std::string::npos);
	}

	void testTokensDoNotReachRunners()
	{
		// Neither in the variables of a JVM or a Go program, nor in their own
		// /proc/<pid>/environ and cmdline, nor in execd's.
		ExecdProcess::Options o;
		o.testModules = false;
		o.properties = {"execd.modules.load = java, go"};
		Tokens::addTo(o);
		ExecdProcess execd(o);
		const std::map<std::string, std::string> auth = Tokens::header();
		const std::string execdProc = "/proc/" + std::to_string(execd.pid());
		auto contextOf = [&](const std::string& language)
		{
			HttpResult r = request(execd.port(), "POST", "/code/context", "{\"language\":\"" + language + "\"}", auth);
			CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
			return object(r.body)->getValue<std::string>("id");
		};
		Run java = runOn(execd.port(), auth, "java", contextOf("java"),
			"System.out.println(System.getenv(\"JUPYTER_TOKEN\") + \" \" + System.getenv(\"EXECD_ACCESS_TOKEN\"));\n"
			"for (String p: new String[]{\"/proc/self/environ\", \"/proc/self/cmdline\", \"" + execdProc + "/environ\", \""
			+ execdProc + "/cmdline\"})\n"
			"    System.out.println(new String(java.nio.file.Files.readAllBytes(java.nio.file.Path.of(p))).replace('\\0', '\\n'));\n");
		Run go = runOn(execd.port(), auth, "go", contextOf("go"),
			"fmt.Printf(\"[%s][%s]\\n\", os.Getenv(\"JUPYTER_TOKEN\"), os.Getenv(\"EXECD_ACCESS_TOKEN\"))\n"
			"for _, p := range []string{\"/proc/self/environ\", \"/proc/self/cmdline\", \"" + execdProc + "/environ\", \""
			+ execdProc + "/cmdline\"} {\n"
			"\tb, _ := os.ReadFile(p)\n"
			"\tfmt.Println(strings.ReplaceAll(string(b), \"\\x00\", \"\\n\"))\n"
			"}\n");
		CPPUNIT_ASSERT_MESSAGE(java.raw, java.out.compare(0, 10, "null null\n") == 0);
		CPPUNIT_ASSERT_MESSAGE(go.raw, go.out.compare(0, 5, "[][]\n") == 0);
		for (const Run* r: {&java, &go})
		{
			CPPUNIT_ASSERT_MESSAGE(r->raw, r->out.find("PATH=") != std::string::npos);
			CPPUNIT_ASSERT_MESSAGE(r->raw, r->out.find("--access-token") != std::string::npos);
			CPPUNIT_ASSERT_EQUAL_MESSAGE(r->raw, std::string(), Tokens::leaked(r->raw));
		}
	}

	void testRuntimesAreFoundWhereTheImageHasThem()
	{
		// Images keep java under $JAVA_HOME (eclipse-temurin: /opt/java/openjdk)
		// and go on the PATH (golang: /usr/local/go/bin): wrappers there are
		// what runs, not /usr/bin's.
		char dir[] = "/tmp/execd-runtimes-XXXXXX";
		CPPUNIT_ASSERT(::mkdtemp(dir));
		const std::string root(dir);
		Poco::File(root + "/jdk/bin").createDirectories();
		Poco::File(root + "/go/bin").createDirectories();
		for (const auto& w: {std::make_pair("jdk/bin/java", "/usr/bin/java"), std::make_pair("go/bin/go", "/usr/bin/go")})
		{
			std::string path = root + "/" + w.first;
			std::ofstream(path) << "#!/bin/sh\necho used >" << path << ".used\nexec " << w.second << " \"$@\"\n";
			::chmod(path.c_str(), 0755);
		}
		ExecdProcess::Options o;
		o.testModules = false;
		o.properties = {"execd.modules.load = java, go"};
		o.env = {{"JAVA_HOME", root + "/jdk"}, {"PATH", root + "/go/bin:" + std::string(std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin")}};
		ExecdProcess execd(o);
		auto contextOf = [&](const std::string& language)
		{
			HttpResult r = request(execd.port(), "POST", "/code/context", "{\"language\":\"" + language + "\"}");
			CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
			return object(r.body)->getValue<std::string>("id");
		};
		Run java = runOn(execd.port(), {}, "java", contextOf("java"), "System.out.println(6 * 7);");
		Run go = runOn(execd.port(), {}, "go", contextOf("go"), "fmt.Println(6 * 7)");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(java.raw, std::string("42\n"), java.out);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(go.raw, std::string("42\n"), go.out);
		CPPUNIT_ASSERT(Poco::File(root + "/jdk/bin/java.used").exists());
		CPPUNIT_ASSERT(Poco::File(root + "/go/bin/go.used").exists());
		CPPUNIT_ASSERT_EQUAL(0, execd.stop());
		Poco::File(root).remove(true);
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(IntegrationLanguagesTest);
