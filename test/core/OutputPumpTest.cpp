// execd::OutputPump on scripted processes: /bin/sh scripts whose output, timing
// and exit each test chooses, pumped into a sink that records what it got.

#include "execd/OutputPump.h"
#include "execd/Subprocess.h"
#include <atomic>
#include <chrono>
#include <cppunit/extensions/HelperMacros.h>
#include <csignal>
#include <cstdint>
#include <fcntl.h>
#include <mutex>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>


namespace {


using Clock = std::chrono::steady_clock;
using execd::EventType;
using execd::OutputPump;
using execd::StreamEvent;
using execd::Subprocess;


class RecordingSink: public execd::EventSink
	/// Keeps every event; closes itself after closeAfter events, as a client
	/// that went away.
{
public:
	void emit(const StreamEvent& event) override
	{
		std::lock_guard<std::mutex> lock(mutex);
		if (!open) return;
		events.push_back(event);
		++flushes;
		if (events.size() >= closeAfter) open = false;
	}

	void emitAll(const std::vector<StreamEvent>& batch) override
	{
		std::lock_guard<std::mutex> lock(mutex);
		if (!open) return;
		events.insert(events.end(), batch.begin(), batch.end());
		++flushes;
		if (events.size() >= closeAfter) open = false;
	}

	bool isOpen() const override
	{
		return open;
	}

	std::string text(EventType type) const
	{
		std::string all;
		for (const StreamEvent& e: events)
			if (e.type == type) all += e.text + "|";
		return all;
	}

	std::size_t bytes() const
	{
		std::size_t n = 0;
		for (const StreamEvent& e: events) n += e.text.size();
		return n;
	}

	std::mutex mutex;
	std::vector<StreamEvent> events;
	std::size_t flushes = 0;
	std::size_t closeAfter = static_cast<std::size_t>(-1);
	std::atomic<bool> open{true};
};


class UntilFilter: public execd::OutputFilter
	/// Lines until one reads "END": then done.
{
public:
	explicit UntilFilter(EventType type):
		OutputFilter(type),
		_lines(type)
	{
	}

	void feed(const char* data, std::size_t length, std::vector<StreamEvent>& events) override
	{
		std::vector<StreamEvent> lines;
		_lines.feed(data, length, lines);
		for (const StreamEvent& e: lines)
		{
			if (_done) break;
			if (e.text == "END") _done = true;
			else events.push_back(e);
		}
	}

	void finish(std::vector<StreamEvent>& events) override
	{
		if (!_done) _lines.finish(events);
		_done = true;
	}

	bool done() const override
	{
		return _done;
	}

private:
	execd::LineFilter _lines;
	bool _done = false;
};


Subprocess script(const std::string& text)
{
	Subprocess::Options options;
	options.argv = {"/bin/sh", "-c", text};
	options.env = Subprocess::environment();
	return Subprocess(options);
}


bool alive(const Subprocess& child)
	/// Still running: not exited (a zombie would count as exited), not reaped.
{
	siginfo_t info{};
	return child.running() && ::waitid(P_PID, static_cast<id_t>(child.pid()), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == 0;
}


bool exitedWith(int status, int code)
{
	return WIFEXITED(status) && WEXITSTATUS(status) == code;
}


long long millisSince(Clock::time_point start)
{
	return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}


} // namespace


class OutputPumpTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(OutputPumpTest);
	CPPUNIT_TEST(testLinesByUpstreamRules);
	CPPUNIT_TEST(testStreamsStayApart);
	CPPUNIT_TEST(testOneFlushPerRead);
	CPPUNIT_TEST(testChunksAsTheyCome);
	CPPUNIT_TEST(testDeadlineKillsTheGroup);
	CPPUNIT_TEST(testClientGoneDiscards);
	CPPUNIT_TEST(testClientGoneStops);
	CPPUNIT_TEST(testWatcherStopsAndEnds);
	CPPUNIT_TEST(testWatchedPipeAtItsEnd);
	CPPUNIT_TEST(testStreamsEndBeforeTheExit);
	CPPUNIT_TEST(testStopGraceAndMute);
	CPPUNIT_TEST(testFinishIsBounded);
	CPPUNIT_TEST_SUITE_END();

public:
	void testLinesByUpstreamRules()
	{
		// CR, CRLF and LF end lines, an empty line is "\n", the last line needs no
		// terminator.
		Subprocess child = script("printf 'a\\r\\nb\\rc\\n\\nd'");
		RecordingSink sink;
		OutputPump pump(child, sink, OutputPump::Options());
		CPPUNIT_ASSERT(pump.run() == OutputPump::End::EXITED);
		pump.finish();
		CPPUNIT_ASSERT_EQUAL(std::string("a|b|c|\n|d|"), sink.text(EventType::STDOUT));
		CPPUNIT_ASSERT(pump.stopped() == OutputPump::Stop::NONE);
		CPPUNIT_ASSERT(exitedWith(child.wait(), 0));
	}

	void testStreamsStayApart()
	{
		Subprocess child = script("echo out1; echo err1 >&2; echo out2; exit 3");
		RecordingSink sink;
		OutputPump pump(child, sink, OutputPump::Options());
		pump.run();
		pump.finish();
		CPPUNIT_ASSERT_EQUAL(std::string("out1|out2|"), sink.text(EventType::STDOUT));
		CPPUNIT_ASSERT_EQUAL(std::string("err1|"), sink.text(EventType::STDERR));
		CPPUNIT_ASSERT(exitedWith(child.wait(), 3));
	}

	void testOneFlushPerRead()
	{
		// 1000 lines written at once arrive in a few reads, each one flush.
		Subprocess child = script("i=0; s=''; while [ $i -lt 1000 ]; do s=\"$s$i\n\"; i=$((i+1)); done; printf \"$s\"");
		RecordingSink sink;
		OutputPump pump(child, sink, OutputPump::Options());
		pump.run();
		pump.finish();
		CPPUNIT_ASSERT_EQUAL(std::size_t(1000), sink.events.size());
		CPPUNIT_ASSERT_EQUAL(std::string("999"), sink.events.back().text);
		CPPUNIT_ASSERT(sink.flushes < 100);
	}

	void testChunksAsTheyCome()
	{
		Subprocess child = script("printf 'no newline'; sleep 0.2; printf ' then\\nmore'");
		RecordingSink sink;
		OutputPump pump(child, sink, OutputPump::Options());
		pump.setFilters(std::make_unique<execd::ChunkFilter>(EventType::STDOUT), std::make_unique<execd::ChunkFilter>(EventType::STDERR));
		pump.run();
		pump.finish();
		CPPUNIT_ASSERT_EQUAL(std::string("no newline| then\nmore|"), sink.text(EventType::STDOUT));
	}

	void testDeadlineKillsTheGroup()
	{
		// The grandchild is in the group too: nothing keeps the pipes open.
		Subprocess child = script("echo started; sleep 30 & sleep 30");
		RecordingSink sink;
		OutputPump::Options options;
		options.deadline = Clock::now() + std::chrono::milliseconds(300);
		auto start = Clock::now();
		OutputPump pump(child, sink, options);
		CPPUNIT_ASSERT(pump.run() == OutputPump::End::EXITED);
		pump.finish();
		CPPUNIT_ASSERT(pump.stopped() == OutputPump::Stop::DEADLINE);
		CPPUNIT_ASSERT(millisSince(start) < 5000);
		CPPUNIT_ASSERT_EQUAL(std::string("started|"), sink.text(EventType::STDOUT));
		int status = child.wait();
		CPPUNIT_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	}

	void testClientGoneDiscards()
	{
		// The client leaves after the first event: the command runs to its end,
		// its output goes nowhere, and it exits with its own status.
		Subprocess child = script("echo first; head -c 20000000 /dev/zero; echo last; exit 4");
		RecordingSink sink;
		sink.closeAfter = 1;
		OutputPump pump(child, sink, OutputPump::Options());
		CPPUNIT_ASSERT(pump.run() == OutputPump::End::EXITED);
		pump.finish();
		CPPUNIT_ASSERT(pump.discarding());
		CPPUNIT_ASSERT(pump.stopped() == OutputPump::Stop::NONE);
		CPPUNIT_ASSERT_EQUAL(std::string("first|"), sink.text(EventType::STDOUT));
		CPPUNIT_ASSERT(exitedWith(child.wait(), 4));
	}

	void testClientGoneStops()
	{
		Subprocess child = script("echo first; sleep 30");
		RecordingSink sink;
		sink.closeAfter = 1;
		OutputPump::Options options;
		options.whenClientGone = OutputPump::WhenClientGone::STOP;
		auto start = Clock::now();
		OutputPump pump(child, sink, options);
		pump.run();
		CPPUNIT_ASSERT(pump.stopped() == OutputPump::Stop::CLIENT_GONE);
		CPPUNIT_ASSERT(millisSince(start) < 10000);
		CPPUNIT_ASSERT(WIFSIGNALED(child.wait()));
	}

	void testWatcherStopsAndEnds()
	{
		int wake = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		CPPUNIT_ASSERT(wake >= 0);
		auto poke = [wake]
		{
			std::this_thread::sleep_for(std::chrono::milliseconds(200));
			const std::uint64_t one = 1;
			(void) ::write(wake, &one, sizeof(one));
		};
		{
			// STOP: the stop action runs (here: SIGTERM instead of SIGKILL).
			Subprocess child = script("sleep 30");
			RecordingSink sink;
			OutputPump pump(child, sink, OutputPump::Options());
			int calls = 0;
			pump.watch(wake, [&calls, wake]
			{
				std::uint64_t value;
				(void) ::read(wake, &value, sizeof(value));
				++calls;
				return OutputPump::Action::STOP;
			});
			pump.onStop([&child] { child.signalGroup(SIGTERM); });
			std::thread poker(poke);
			pump.run();
			poker.join();
			CPPUNIT_ASSERT(pump.stopped() == OutputPump::Stop::REQUESTED);
			CPPUNIT_ASSERT_EQUAL(1, calls);
			int status = child.wait();
			CPPUNIT_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
		}
		{
			// END: the run returns, the process runs on.
			Subprocess child = script("sleep 30");
			RecordingSink sink;
			OutputPump pump(child, sink, OutputPump::Options());
			pump.watch(wake, [wake]
			{
				std::uint64_t value;
				(void) ::read(wake, &value, sizeof(value));
				return OutputPump::Action::END;
			});
			std::thread poker(poke);
			CPPUNIT_ASSERT(pump.run() == OutputPump::End::WATCHER);
			poker.join();
			CPPUNIT_ASSERT(alive(child));
			child.signalGroup(SIGKILL);
			child.wait();
		}
		::close(wake);
	}

	void testWatchedPipeAtItsEnd()
	{
		// The writer of a watched pipe goes away while the process lives on: the
		// watcher sees the end (a read of 0) instead of the pump spinning.
		int fds[2];
		CPPUNIT_ASSERT_EQUAL(0, ::pipe2(fds, O_CLOEXEC | O_NONBLOCK));
		Subprocess child = script("sleep 30");
		RecordingSink sink;
		OutputPump::Options options;
		options.deadline = Clock::now() + std::chrono::seconds(20);
		OutputPump pump(child, sink, options);
		int calls = 0;
		int readFd = fds[0];
		pump.watch(readFd, [&calls, readFd]
		{
			++calls;
			char byte;
			return ::read(readFd, &byte, 1) == 0 ? OutputPump::Action::END : OutputPump::Action::CONTINUE;
		});
		std::thread closer([&fds] { std::this_thread::sleep_for(std::chrono::milliseconds(100)); ::close(fds[1]); });
		auto start = Clock::now();
		CPPUNIT_ASSERT(pump.run() == OutputPump::End::WATCHER);
		closer.join();
		CPPUNIT_ASSERT(millisSince(start) < 10000);
		CPPUNIT_ASSERT_EQUAL(1, calls);
		CPPUNIT_ASSERT(alive(child));
		::close(fds[0]);
		child.signalGroup(SIGKILL);
		child.wait();
	}

	void testStreamsEndBeforeTheExit()
	{
		Subprocess child = script("echo a; echo END; echo b >&2; echo END >&2; echo later; sleep 30");
		RecordingSink sink;
		OutputPump::Options options;
		options.endsWith = OutputPump::EndsWith::STREAMS;
		OutputPump pump(child, sink, options);
		pump.setFilters(std::make_unique<UntilFilter>(EventType::STDOUT), std::make_unique<UntilFilter>(EventType::STDERR));
		CPPUNIT_ASSERT(pump.run() == OutputPump::End::STREAMS_ENDED);
		CPPUNIT_ASSERT_EQUAL(std::string("a|"), sink.text(EventType::STDOUT));
		CPPUNIT_ASSERT_EQUAL(std::string("b|"), sink.text(EventType::STDERR));
		CPPUNIT_ASSERT(alive(child));
		child.killDescendants();
		child.wait();
	}

	void testStopGraceAndMute()
	{
		// After the stop (a no-op here) the run goes on for the grace, and what
		// comes then is not sent.
		Subprocess child = script("echo before; sleep 0.5; echo after; sleep 30");
		RecordingSink sink;
		OutputPump::Options options;
		options.deadline = Clock::now() + std::chrono::milliseconds(200);
		options.stopGrace = std::chrono::milliseconds(1000);
		options.emitAfterStop = false;
		OutputPump pump(child, sink, options);
		pump.onStop([] {});
		auto start = Clock::now();
		CPPUNIT_ASSERT(pump.run() == OutputPump::End::STOPPED);
		CPPUNIT_ASSERT(millisSince(start) >= 1000);
		CPPUNIT_ASSERT_EQUAL(std::string("before|"), sink.text(EventType::STDOUT));
		child.signalGroup(SIGKILL);
		child.wait();
	}

	void testFinishIsBounded()
	{
		// The shell exits; a process it left keeps the pipe open and writes on.
		// run() returns at the exit, finish() takes at most TAIL_BYTES.
		Subprocess child = script("(while :; do echo flood; done) & sleep 0.1; exit 0");
		RecordingSink sink;
		OutputPump pump(child, sink, OutputPump::Options());
		CPPUNIT_ASSERT(pump.run() == OutputPump::End::EXITED);
		auto start = Clock::now();
		pump.finish();
		CPPUNIT_ASSERT(millisSince(start) < 20000);
		CPPUNIT_ASSERT(sink.bytes() <= OutputPump::TAIL_BYTES * 2 + 1024 * 1024);
		child.signalGroup(SIGKILL);
		CPPUNIT_ASSERT(exitedWith(child.wait(), 0));   // the shell itself exited before the kill
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(OutputPumpTest);
