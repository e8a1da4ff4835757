#include "execd/FloodGate.h"
#include <cppunit/extensions/HelperMacros.h>
#include <string>
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
};


CPPUNIT_TEST_SUITE_REGISTRATION(FloodGateTest);
