#include "execd/RunJournal.h"
#include "execd/RunTable.h"
#include <cppunit/extensions/HelperMacros.h>
#include <chrono>
#include <string>
#include <thread>


using execd::RunJournal;
using execd::RunTable;


namespace {


std::string event(std::uint64_t n, std::size_t pad = 0)
{
	return "{\"type\":\"stdout\",\"text\":\"" + std::to_string(n) + std::string(pad, 'x') + "\"}";
}


// Reads everything after after, in batches of maxBytes, checking that the ids run on.
std::vector<RunJournal::Entry> readAll(const RunJournal& journal, std::uint64_t after, std::size_t maxBytes, std::uint64_t* pDropped = nullptr)
{
	std::vector<RunJournal::Entry> all;
	for (;;)
	{
		RunJournal::Batch batch = journal.read(after, maxBytes);
		if (pDropped && all.empty()) *pDropped = batch.dropped;
		for (auto& e: batch.entries)
		{
			CPPUNIT_ASSERT_EQUAL(after + 1 + (all.empty() && pDropped ? *pDropped : 0), e.id);
			after = e.id;
			all.push_back(std::move(e));
		}
		if (batch.entries.empty()) break;
	}
	return all;
}


} // namespace


class RunJournalTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(RunJournalTest);
	CPPUNIT_TEST(testIdsAndBatches);
	CPPUNIT_TEST(testSpillsToTheFile);
	CPPUNIT_TEST(testDropsTheOldestAndSaysSo);
	CPPUNIT_TEST(testFinishedJournalsAreSmall);
	CPPUNIT_TEST(testWaitBeyond);
	CPPUNIT_TEST(testWithoutASpillFile);
	CPPUNIT_TEST(testTable);
	CPPUNIT_TEST_SUITE_END();

public:
	void testIdsAndBatches()
	{
		RunJournal journal(1 << 20, "/tmp");
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), journal.lastId());
		CPPUNIT_ASSERT(journal.read(0, 100).entries.empty());
		for (std::uint64_t i = 1; i <= 100; ++i)
			CPPUNIT_ASSERT_EQUAL(i, journal.append(event(i)));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(101), journal.append("{\"code\":\"X\"}", true));
		RunJournal::Batch batch = journal.read(0, 1);   // at least one, even over the bound
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), batch.entries.size());
		CPPUNIT_ASSERT_EQUAL(event(1), batch.entries[0].bytes);
		batch = journal.read(98, 1 << 20);
		CPPUNIT_ASSERT_EQUAL(std::size_t(3), batch.entries.size());
		CPPUNIT_ASSERT(!batch.entries[1].raw);
		CPPUNIT_ASSERT(batch.entries[2].raw);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"X\"}"), batch.entries[2].bytes);
		CPPUNIT_ASSERT(!batch.complete);
		CPPUNIT_ASSERT_EQUAL(std::size_t(101), readAll(journal, 0, 200).size());
		journal.finish();
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), journal.append(event(0)));   // nothing after the end
		CPPUNIT_ASSERT(journal.read(98, 1 << 20).complete);
		CPPUNIT_ASSERT(journal.read(101, 1 << 20).complete);
		CPPUNIT_ASSERT(journal.read(5000, 1 << 20).complete);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), journal.read(5000, 1 << 20).dropped);
		// An id past every one, up to the largest: nothing, nothing dropped, no wrap.
		RunJournal::Batch past = journal.read(UINT64_MAX, 1 << 20);
		CPPUNIT_ASSERT(past.entries.empty() && past.dropped == 0 && past.complete);
		RunJournal running(1 << 20, "/tmp");
		running.append(event(1));
		CPPUNIT_ASSERT(!running.waitBeyond(UINT64_MAX, std::chrono::steady_clock::now() + std::chrono::milliseconds(20)));
		CPPUNIT_ASSERT(running.read(UINT64_MAX, 1 << 20).entries.empty());
	}

	void testSpillsToTheFile()
	{
		// 4 MiB through a journal of 8: everything kept, little of it in memory.
		RunJournal journal(8 << 20, "/tmp");
		const std::size_t n = 4 * 1024;
		for (std::uint64_t i = 1; i <= n; ++i)
		{
			journal.append(event(i, 1000));
			CPPUNIT_ASSERT(journal.memoryBytes() <= (RunJournal::MEMORY_BLOCKS + 1) * (RunJournal::BLOCK_BYTES + 1100));
		}
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), journal.droppedEvents());
		auto all = readAll(journal, 0, 300 * 1024);
		CPPUNIT_ASSERT_EQUAL(n, all.size());
		for (std::uint64_t i = 1; i <= n; ++i)
			CPPUNIT_ASSERT_EQUAL(event(i, 1000), all[i - 1].bytes);
		// From any point, in the file or in memory.
		for (std::uint64_t after: {std::uint64_t(0), std::uint64_t(1), std::uint64_t(63), std::uint64_t(64), std::uint64_t(2000), std::uint64_t(n - 1)})
			CPPUNIT_ASSERT_EQUAL(event(after + 1, 1000), journal.read(after, 1).entries.at(0).bytes);
	}

	void testDropsTheOldestAndSaysSo()
	{
		RunJournal journal(256 * 1024, "/tmp");
		const std::size_t n = 2000;
		for (std::uint64_t i = 1; i <= n; ++i)
			journal.append(event(i, 1000));
		CPPUNIT_ASSERT(journal.keptBytes() <= 256 * 1024 + RunJournal::BLOCK_BYTES + 1100);
		CPPUNIT_ASSERT(journal.droppedEvents() > 0);
		std::uint64_t dropped = 0;
		auto kept = readAll(journal, 0, 64 * 1024, &dropped);
		CPPUNIT_ASSERT_EQUAL(journal.droppedEvents(), dropped);
		CPPUNIT_ASSERT_EQUAL(n, dropped + kept.size());
		CPPUNIT_ASSERT_EQUAL(event(dropped + 1, 1000), kept.front().bytes);
		CPPUNIT_ASSERT_EQUAL(event(n, 1000), kept.back().bytes);
		// A reader past the dropped part is told nothing was dropped.
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), journal.read(n - 5, 1 << 20).dropped);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(10), journal.read(dropped - 10, 1 << 20).dropped);
	}

	void testFinishedJournalsAreSmall()
	{
		RunJournal small(8 << 20, "/tmp");
		small.append(event(1));
		small.finish();
		CPPUNIT_ASSERT(small.memoryBytes() > 0);   // stays in memory: no file for a tiny run
		RunJournal large(8 << 20, "/tmp");
		for (std::uint64_t i = 1; i <= 300; ++i)
			large.append(event(i, 1000));
		large.finish();
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), large.memoryBytes());
		auto all = readAll(large, 0, 1 << 20);
		CPPUNIT_ASSERT_EQUAL(std::size_t(300), all.size());
		CPPUNIT_ASSERT_EQUAL(event(300, 1000), all.back().bytes);
	}

	void testWaitBeyond()
	{
		RunJournal journal(1 << 20, "/tmp");
		journal.append(event(1));
		CPPUNIT_ASSERT(journal.waitBeyond(0, std::chrono::steady_clock::now()));
		auto start = std::chrono::steady_clock::now();
		CPPUNIT_ASSERT(!journal.waitBeyond(1, start + std::chrono::milliseconds(50)));
		CPPUNIT_ASSERT(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(50));
		std::thread writer([&] {
			std::this_thread::sleep_for(std::chrono::milliseconds(50));
			journal.append(event(2));
		});
		CPPUNIT_ASSERT(journal.waitBeyond(1, std::chrono::steady_clock::now() + std::chrono::seconds(10)));
		writer.join();
		std::thread finisher([&] {
			std::this_thread::sleep_for(std::chrono::milliseconds(50));
			journal.finish();
		});
		CPPUNIT_ASSERT(journal.waitBeyond(2, std::chrono::steady_clock::now() + std::chrono::seconds(10)));
		finisher.join();
		CPPUNIT_ASSERT(journal.finished());
	}

	void testWithoutASpillFile()
	{
		// No place for the file: memory stays bounded, what is lost is counted.
		RunJournal journal(8 << 20, "/nonexistent/dir");
		for (std::uint64_t i = 1; i <= 2000; ++i)
			journal.append(event(i, 1000));
		CPPUNIT_ASSERT(journal.memoryBytes() <= (RunJournal::MEMORY_BLOCKS + 1) * (RunJournal::BLOCK_BYTES + 1100));
		std::uint64_t dropped = 0;
		auto kept = readAll(journal, 0, 1 << 20, &dropped);
		CPPUNIT_ASSERT(dropped > 0);
		CPPUNIT_ASSERT_EQUAL(std::size_t(2000), dropped + kept.size());
		CPPUNIT_ASSERT_EQUAL(event(2000, 1000), kept.back().bytes);
		// Finished, it keeps what it has in memory: the end of the run is not lost.
		journal.finish();
		auto atEnd = readAll(journal, 0, 1 << 20, &dropped);
		CPPUNIT_ASSERT(!atEnd.empty());
		CPPUNIT_ASSERT_EQUAL(event(2000, 1000), atEnd.back().bytes);
	}

	void testTable()
	{
		RunTable& table = RunTable::instance();
		const RunTable::Settings saved = table.settings();
		RunTable::Settings s = saved;
		s.maxRuns = 3;
		s.ttl = std::chrono::milliseconds(100);
		table.configure(s);
		table.clear();
		auto running = table.create();
		table.publish("running", running);
		for (int i = 0; i < 3; ++i)
		{
			auto j = table.create();
			j->finish();
			table.publish("done" + std::to_string(i), j);
		}
		// Over the bound: the oldest finished one went, not the running one.
		CPPUNIT_ASSERT_EQUAL(std::size_t(3), table.size());
		CPPUNIT_ASSERT(table.find("running"));
		CPPUNIT_ASSERT(!table.find("done0"));
		CPPUNIT_ASSERT(table.find("done2"));
		std::this_thread::sleep_for(std::chrono::milliseconds(150));
		CPPUNIT_ASSERT(!table.find("done2"));   // expired, even before it is collected
		table.collect();
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), table.size());
		CPPUNIT_ASSERT(table.find("running"));
		table.clear();
		table.configure(saved);
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(RunJournalTest);
