// The journal of a resumable run (execd::RunJournal) driven by the input as a
// program, against a model that keeps every entry: what a read returns is what
// was appended under those ids, gaps are announced by "dropped", nothing is
// returned twice or out of order, and the bounds on kept and in-memory bytes hold.
// Each step is one byte of operation and two of argument:
//   op % 5 == 0, 1: append an event / raw entry of arg bytes (up to 70,000)
//   op % 5 == 2: read after arg (an id near the end when arg is large) up to arg * 64 bytes
//   op % 5 == 3: finish
//   op % 5 == 4: read everything after 0 and check it all

#include "FuzzSupport.h"
#include "execd/RunJournal.h"
#include <string>
#include <vector>


namespace {


using execd::RunJournal;


void check(const RunJournal& journal, const std::vector<std::string>& model, std::uint64_t after, std::size_t maxBytes, bool all)
{
	std::uint64_t next = after + 1;
	bool first = true;
	for (int guard = 0; guard < 100000; ++guard)
	{
		RunJournal::Batch batch = journal.read(after, maxBytes);
		if (batch.dropped > 0)
		{
			execd::fuzz::require(first || all, "dropped events announced in the middle of a quiet read");
			next += batch.dropped;
		}
		for (const RunJournal::Entry& e: batch.entries)
		{
			execd::fuzz::require(e.id == next, "ids are not consecutive");
			execd::fuzz::require(e.id >= 1 && e.id <= model.size(), "an id that was never given");
			execd::fuzz::require(e.bytes == model[e.id - 1].substr(1), "an entry that differs from what was appended");
			execd::fuzz::require(e.raw == (model[e.id - 1][0] == 'r'), "the raw flag changed");
			++next;
			after = e.id;
		}
		first = false;
		if (!all || batch.entries.empty()) break;
	}
	if (all) execd::fuzz::require(next == model.size() + 1 || model.empty(), "a full read did not reach the last entry");
}


} // namespace


extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
	execd::fuzz::onRequestStack([&]
	{
		const std::size_t capacity = 64 * 1024 + (size > 0 ? data[0] % 4 : 0) * 64 * 1024;
		RunJournal journal(capacity, size > 1 && data[1] % 2 ? "/nonexistent" : "/tmp");
		std::vector<std::string> model;   // 'e' or 'r', then the bytes
		std::size_t largest = 0;
		for (std::size_t i = 2; i + 2 < size && i < 2 + 3 * 512; i += 3)
		{
			const unsigned op = data[i] % 5;
			const unsigned arg = static_cast<unsigned>(data[i + 1]) << 8 | data[i + 2];
			if (op <= 1)
			{
				const std::size_t length = arg % 70000;
				std::string bytes(length, static_cast<char>('a' + model.size() % 26));
				const std::uint64_t id = journal.append(bytes, op == 1);
				if (journal.finished())
				{
					execd::fuzz::require(id == 0, "an entry after the end");
					continue;
				}
				execd::fuzz::require(id == model.size() + 1, "append gave another id");
				model.push_back((op == 1 ? "r" : "e") + bytes);
				largest = std::max(largest, length + 5);
			}
			else if (op == 2)
			{
				const std::uint64_t after = arg > 60000 ? UINT64_MAX - (arg % 3) : arg % (model.size() + 2);
				check(journal, model, std::min<std::uint64_t>(after, model.size()), 1 + arg * 64, false);
				if (after >= model.size())
					execd::fuzz::require(journal.read(after, 1 + arg * 64).entries.empty(), "entries after the last id");
			}
			else if (op == 3)
				journal.finish();
			else
				check(journal, model, 0, 1 + arg * 64, true);
			execd::fuzz::require(journal.keptBytes() <= capacity + RunJournal::BLOCK_BYTES + largest, "the journal keeps more than its bound");
			execd::fuzz::require(journal.memoryBytes() <= (RunJournal::MEMORY_BLOCKS + 1) * (RunJournal::BLOCK_BYTES + largest), "the journal holds more in memory than its bound");
			execd::fuzz::require(journal.lastId() == model.size(), "lastId differs");
		}
		check(journal, model, 0, 1 << 20, true);
	});
	return 0;
}
