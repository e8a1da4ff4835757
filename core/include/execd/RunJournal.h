#pragma once

#include "execd/Core.h"
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>


namespace execd {


class EXECD_API RunJournal
	/// The events of one run, numbered from 1 in the order they were written, so
	/// that a client that lost its stream can read them again from any point and
	/// then follow the run to its end (GET /runs/{id}/events).
	///
	/// Events are kept in blocks of about BLOCK_BYTES. While the run goes on, the
	/// newest MEMORY_BLOCKS blocks stay in memory and older ones are written, a
	/// block at a time, to an unnamed spill file (O_TMPFILE, mode 0600, gone with
	/// the descriptor), used as a ring as large as the capacity. When the journal
	/// holds more than its capacity, its oldest blocks are dropped and counted:
	/// a reader that asks for a dropped event is told how many it missed, never
	/// silently skipped. A finished journal keeps at most SMALL_BYTES in memory.
	///
	/// All methods may be called from any thread.
{
public:
	static constexpr std::size_t BLOCK_BYTES = 64 * 1024;
	static constexpr std::size_t MEMORY_BLOCKS = 4;
	static constexpr std::size_t SMALL_BYTES = 16 * 1024;

	struct Entry
	{
		std::uint64_t id = 0;
		std::string bytes;   ///< an event's JSON line, or raw bytes
		bool raw = false;    ///< written as they are, without SSE framing (a trailing JSON error)
	};

	struct Batch
	{
		std::uint64_t dropped = 0;    ///< events after the one asked for that are no longer kept
		std::vector<Entry> entries;
		bool complete = false;        ///< the journal is finished and nothing follows entries
	};

	RunJournal(std::size_t capacityBytes, std::string spillDirectory);
	~RunJournal();

	RunJournal(const RunJournal&) = delete;
	RunJournal& operator = (const RunJournal&) = delete;

	std::uint64_t append(const std::string& bytes, bool raw = false);
		/// Adds an entry and returns its id. Nothing is added (0 is returned) once
		/// the journal is finished.

	using Span = std::pair<std::size_t, std::size_t>;   ///< offset and length in a buffer

	void append(const std::string& buffer, const std::vector<Span>& events);
		/// Adds each span of buffer as an event entry, in order, under one lock:
		/// they get the ids nextId(), nextId() + 1, ...

	std::uint64_t nextId() const;
		/// The id the next entry gets. With one writer, what it will be.

	void finish();
		/// No entry follows: readers that follow the run end.

	Batch read(std::uint64_t after, std::size_t maxBytes) const;
		/// The entries after id after, at least one when there is one, and no more
		/// than maxBytes beyond the first.

	bool waitBeyond(std::uint64_t after, std::chrono::steady_clock::time_point deadline) const;
		/// Waits until an entry after id after exists or the journal is finished;
		/// false at the deadline.

	std::uint64_t lastId() const;
	bool finished() const;
	std::chrono::steady_clock::time_point finishedAt() const;
	std::uint64_t droppedEvents() const;
	std::size_t keptBytes() const;
	std::size_t memoryBytes() const;

private:
	struct Block
	{
		std::uint64_t firstId = 0;
		std::uint32_t count = 0;
		std::size_t size = 0;         ///< encoded bytes
		std::string data;             ///< while in memory
		bool inMemory = true;
		std::uint64_t fileOffset = 0; ///< once written to the spill file
	};

	void appendLocked(const char* data, std::size_t size, bool raw);
	void sealLocked();
	bool spillLocked(Block& block, bool dropOnFailure);
	void trimLocked();
	void dropFrontLocked(std::size_t count);
	bool openSpillLocked();
	std::string blockDataLocked(const Block& block) const;

	const std::size_t _capacity;
	const std::string _spillDirectory;
	mutable std::mutex _mutex;
	mutable std::condition_variable _changed;
	mutable int _waiters = 0;
	std::deque<Block> _blocks;        ///< oldest first; the last one is open
	std::uint64_t _nextId = 1;
	std::uint64_t _dropped = 0;
	std::size_t _kept = 0;
	std::size_t _inMemory = 0;
	bool _finished = false;
	std::chrono::steady_clock::time_point _finishedAt;
	int _spillFd = -1;
	bool _spillFailed = false;   ///< warned once
	std::uint64_t _spillEnd = 0;
};


} // namespace execd
