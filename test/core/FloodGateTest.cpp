#include "execd/FloodGate.h"
#include <cppunit/extensions/HelperMacros.h>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>
#include <vector>


using execd::EventSink;
using execd::EventType;
using execd::FloodGate;
using execd::StreamEvent;


namespace {


class Collect: public EventSink
{
public:
	void emit(const StreamEvent& event) override
	{
		events.push_back(event);
	}

	bool isOpen() const override
	{
		return true;
	}

	std::vector<StreamEvent> events;
};


} // namespace


class FloodGateTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(FloodGateTest);
	CPPUNIT_TEST(testHeadTailAndOneTruncation);
	CPPUNIT_TEST(testEventsPerSecond);
	CPPUNIT_TEST(testUnderTheCap);
	CPPUNIT_TEST(testSpillFromEvents);
	CPPUNIT_TEST(testLargeEventsAreCut);
	CPPUNIT_TEST_SUITE_END();

public:
	void testHeadTailAndOneTruncation()
	{
		Collect out;
		FloodGate::Limits limits;
		limits.tailBytes = 3 * (10 + FloodGate::EVENT_OVERHEAD);   // three events of 10 bytes
		limits.maxBytes = 70 + limits.tailBytes;
		limits.spillPath = "/x";
		FloodGate gate(out, limits);
		gate.emit(StreamEvent::init("id"));
		std::vector<StreamEvent> batch;
		for (int i = 0; i < 100; ++i)
			batch.push_back(StreamEvent::stdoutText(std::string(10, static_cast<char>('a' + i % 26))));
		gate.emitAll(batch);
		CPPUNIT_ASSERT(gate.truncating());
		gate.emit(StreamEvent::complete(1));
		// init, 7 head events (70 bytes), truncated, 3 tail events (30 bytes), complete
		CPPUNIT_ASSERT_EQUAL(std::size_t(1 + 7 + 1 + 3 + 1), out.events.size());
		CPPUNIT_ASSERT(out.events[8].type == EventType::TRUNCATED);
		CPPUNIT_ASSERT_EQUAL(Poco::UInt64(900), out.events[8].truncation->droppedBytes);
		CPPUNIT_ASSERT_EQUAL(Poco::UInt64(90), out.events[8].truncation->droppedEvents);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"type\":\"truncated\",\"timestamp\":5,\"dropped_bytes\":900,\"dropped_events\":90,\"spill_path\":\"/x\"}"),
			[&] { StreamEvent e = out.events[8]; e.timestamp = 5; return e.toJson(); }());
		CPPUNIT_ASSERT_EQUAL(std::string(10, 'a' + 99 % 26), out.events[11].text);   // the newest
		CPPUNIT_ASSERT(out.events[12].type == EventType::EXECUTION_COMPLETE);
	}

	void testEventsPerSecond()
	{
		Collect out;
		FloodGate::Limits limits;
		limits.maxEventsPerSecond = 5;
		limits.tailBytes = 2 * (1 + FloodGate::EVENT_OVERHEAD);
		FloodGate gate(out, limits);
		for (int i = 0; i < 20; ++i)
			gate.emit(StreamEvent::stderrText("e"));
		gate.emit(StreamEvent::failure(execd::ErrorDetail{"X", "1", {}, false}));
		// 5 streamed, truncated (13 dropped), 2 kept, the error.
		CPPUNIT_ASSERT_EQUAL(std::size_t(5 + 1 + 2 + 1), out.events.size());
		CPPUNIT_ASSERT_EQUAL(Poco::UInt64(13), out.events[5].truncation->droppedEvents);
		CPPUNIT_ASSERT(out.events[5].truncation->spillPath.empty());
	}

	void testUnderTheCap()
	{
		Collect out;
		FloodGate::Limits limits;
		limits.maxBytes = 1000;
		FloodGate gate(out, limits);
		for (int i = 0; i < 10; ++i)
			gate.emit(StreamEvent::stdoutText("line"));
		gate.emit(StreamEvent::complete(1));
		CPPUNIT_ASSERT_EQUAL(std::size_t(11), out.events.size());
		CPPUNIT_ASSERT(!gate.truncating());
	}

	void testLargeEventsAreCut()
	{
		// One event of 100 lines (a kernel's chunk) across the head's end: the
		// head's lines go out, the tail keeps the last whole lines that fit.
		Collect out;
		FloodGate::Limits limits;
		limits.tailBytes = 20 + FloodGate::EVENT_OVERHEAD;
		limits.maxBytes = 50 + limits.tailBytes;
		FloodGate gate(out, limits);
		std::string text;
		for (int i = 0; i < 100; ++i)
		{
			char line[16];
			std::snprintf(line, sizeof(line), "line%04d\n", i);
			text += line;
		}
		gate.emit(StreamEvent::stdoutText(text));
		gate.emit(StreamEvent::complete(1));
		CPPUNIT_ASSERT_EQUAL(std::size_t(4), out.events.size());
		CPPUNIT_ASSERT_EQUAL(text.substr(0, 45), out.events[0].text);
		CPPUNIT_ASSERT(out.events[1].type == EventType::TRUNCATED);
		CPPUNIT_ASSERT_EQUAL(Poco::UInt64(900 - 45 - 18), out.events[1].truncation->droppedBytes);
		CPPUNIT_ASSERT_EQUAL(Poco::UInt64(0), out.events[1].truncation->droppedEvents);
		CPPUNIT_ASSERT_EQUAL(std::string("line0098\nline0099\n"), out.events[2].text);
		// Without a line end, never inside a UTF-8 character.
		Collect utf;
		FloodGate::Limits small;
		small.tailBytes = 5 + FloodGate::EVENT_OVERHEAD;
		small.maxBytes = 5 + small.tailBytes;
		FloodGate gate2(utf, small);
		gate2.emit(StreamEvent::stdoutText("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"));   // six 2-byte characters
		gate2.emit(StreamEvent::complete(1));
		CPPUNIT_ASSERT_EQUAL(std::string("\xc3\xa9\xc3\xa9"), utf.events[0].text);
		CPPUNIT_ASSERT_EQUAL(std::string("\xc3\xa9\xc3\xa9"), utf.events[2].text);
		CPPUNIT_ASSERT_EQUAL(Poco::UInt64(4), utf.events[1].truncation->droppedBytes);
	}

	void testSpillFromEvents()
	{
		char dir[] = "/tmp/execd-floodgate-XXXXXX";
		CPPUNIT_ASSERT(::mkdtemp(dir));
		const std::string file = std::string(dir) + "/run.full-output";
		std::string all;
		{
			Collect out;
			FloodGate::Limits limits;
			limits.tailBytes = 10 + FloodGate::EVENT_OVERHEAD;   // one event
			limits.maxBytes = 30 + limits.tailBytes;             // three before it
			FloodGate gate(out, limits);
			CPPUNIT_ASSERT(gate.openSpill(dir, "run", FloodGate::SpillFrom::EVENT_TEXT));
			gate.emit(StreamEvent::init("id"));
			for (int i = 0; i < 50; ++i)
			{
				std::string text(10, static_cast<char>('a' + i % 26));
				all += text;
				gate.emit(i % 2 ? StreamEvent::stderrText(text) : StreamEvent::stdoutText(text));
			}
			// An error (a kernel's): the tail goes out before it; output after it passes.
			gate.emit(StreamEvent::failure(execd::ErrorDetail{"X", "1", {}, false}));
			gate.emit(StreamEvent::stdoutText("late"));
			all += "late";
			gate.emit(StreamEvent::complete(1));
			gate.closeSpill();
			// init, 3 head events (30 bytes), truncated, 1 tail event, error, late, complete
			CPPUNIT_ASSERT_EQUAL(std::size_t(1 + 3 + 1 + 1 + 1 + 1 + 1), out.events.size());
			CPPUNIT_ASSERT(out.events[4].type == EventType::TRUNCATED);
			CPPUNIT_ASSERT_EQUAL(file, out.events[4].truncation->spillPath);
			CPPUNIT_ASSERT(out.events[4].truncation->spillComplete);
			CPPUNIT_ASSERT_EQUAL(std::string("late"), out.events[7].text);
		}
		std::ifstream in(file, std::ios::binary);
		CPPUNIT_ASSERT_EQUAL(all, std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()));
		::unlink(file.c_str());
		// A stream that was not cut leaves no file.
		{
			Collect out;
			FloodGate::Limits limits;
			limits.maxBytes = 1000;
			FloodGate gate(out, limits);
			CPPUNIT_ASSERT(gate.openSpill(dir, "run", FloodGate::SpillFrom::EVENT_TEXT));
			gate.emit(StreamEvent::stdoutText("x"));
			gate.emit(StreamEvent::complete(1));
		}
		CPPUNIT_ASSERT(::access(file.c_str(), F_OK) != 0);
		CPPUNIT_ASSERT_EQUAL(0, ::rmdir(dir));
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(FloodGateTest);
