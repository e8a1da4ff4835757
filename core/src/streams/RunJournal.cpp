#include "execd/RunJournal.h"
#include "Poco/Exception.h"
#include "Poco/Logger.h"
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>


namespace execd {


namespace {


const std::size_t HEADER_BYTES = 5;   // length (4 bytes, native order) and the raw flag


void encode(std::string& out, const char* data, std::size_t size, bool raw)
{
	const std::uint32_t length = static_cast<std::uint32_t>(size);
	char header[HEADER_BYTES];
	std::memcpy(header, &length, 4);
	header[4] = raw ? 1 : 0;
	out.append(header, HEADER_BYTES);
	out.append(data, size);
}


bool writeAll(int fd, const char* data, std::size_t size, std::uint64_t offset)
{
	while (size > 0)
	{
		ssize_t n = ::pwrite(fd, data, size, static_cast<off_t>(offset));
		if (n < 0 && errno == EINTR) continue;
		if (n <= 0) return false;
		data += n;
		size -= static_cast<std::size_t>(n);
		offset += static_cast<std::uint64_t>(n);
	}
	return true;
}


} // namespace


RunJournal::RunJournal(std::size_t capacityBytes, std::string spillDirectory):
	_capacity(std::max<std::size_t>(capacityBytes, BLOCK_BYTES)),
	_spillDirectory(std::move(spillDirectory))
{
}


RunJournal::~RunJournal()
{
	if (_spillFd >= 0) ::close(_spillFd);
}


std::uint64_t RunJournal::append(const std::string& bytes, bool raw)
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (_finished) return 0;
	const std::uint64_t id = _nextId;
	appendLocked(bytes.data(), bytes.size(), raw);
	if (_waiters > 0) _changed.notify_all();
	return id;
}


void RunJournal::append(const std::string& buffer, const std::vector<Span>& events)
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (_finished) return;
	for (const Span& span: events)
		appendLocked(buffer.data() + span.first, span.second, false);
	if (_waiters > 0) _changed.notify_all();
}


std::uint64_t RunJournal::nextId() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _nextId;
}


void RunJournal::appendLocked(const char* data, std::size_t size, bool raw)
{
	if (_blocks.empty() || _blocks.back().size >= BLOCK_BYTES || !_blocks.back().inMemory)
	{
		// A run that filled a block is likely to fill the next: it gets its size at once.
		const bool more = !_blocks.empty();
		_blocks.emplace_back();
		_blocks.back().firstId = _nextId;
		if (more) _blocks.back().data.reserve(BLOCK_BYTES + HEADER_BYTES + size);
	}
	Block& block = _blocks.back();
	const std::size_t added = HEADER_BYTES + size;
	encode(block.data, data, size, raw);
	block.size += added;
	++block.count;
	_kept += added;
	_inMemory += added;
	++_nextId;
	if (block.size >= BLOCK_BYTES) sealLocked();
}


void RunJournal::sealLocked()
{
	// The newest blocks stay in memory for the readers that keep up; the rest
	// go to the file, the oldest first.
	for (;;)
	{
		std::size_t inMemory = 0;
		Block* pOldest = nullptr;
		for (Block& block: _blocks)
		{
			if (!block.inMemory) continue;
			if (!pOldest) pOldest = &block;
			++inMemory;
		}
		if (inMemory <= MEMORY_BLOCKS) break;
		spillLocked(*pOldest, true);
	}
	trimLocked();
}


bool RunJournal::spillLocked(Block& block, bool dropOnFailure)
{
	if (openSpillLocked())
	{
		// The file is a ring as large as the capacity: a block goes after the
		// last one, or at the start when it does not fit before the end, over
		// the oldest blocks, which are dropped (with every older one). Pages
		// are written over, not allocated and freed again.
		std::uint64_t at = _spillEnd;
		if (at > 0 && at + block.size > _capacity) at = 0;
		std::size_t covered = 0;
		for (std::size_t i = 0; i < _blocks.size() && &_blocks[i] != &block; ++i)
		{
			const Block& b = _blocks[i];
			if (!b.inMemory && b.fileOffset < at + block.size && at < b.fileOffset + b.size) covered = i + 1;
		}
		dropFrontLocked(covered);
		if (writeAll(_spillFd, block.data.data(), block.size, at))
		{
			block.fileOffset = at;
			_spillEnd = at + block.size;
			std::string().swap(block.data);
			block.inMemory = false;
			_inMemory -= block.size;
			return true;
		}
	}
	if (!dropOnFailure) return false;
	// Nowhere to keep it, and memory is bounded: this block and every older one
	// are dropped, so that what is kept stays one run of ids.
	std::size_t through = 0;
	while (through < _blocks.size() && &_blocks[through] != &block) ++through;
	dropFrontLocked(through + 1);
	return false;
}


void RunJournal::dropFrontLocked(std::size_t count)
{
	for (; count > 0 && !_blocks.empty(); --count)
	{
		Block& front = _blocks.front();
		_dropped += front.count;
		_kept -= front.size;
		if (front.inMemory) _inMemory -= front.size;
		_blocks.pop_front();
	}
}


void RunJournal::trimLocked()
{
	while (_kept > _capacity && _blocks.size() > 1)
		dropFrontLocked(1);
	// Once nothing kept is in the file, its space is given back.
	if (_spillFd >= 0 && _spillEnd > 0 && std::all_of(_blocks.begin(), _blocks.end(), [](const Block& b) { return b.inMemory; }))
	{
		if (::ftruncate(_spillFd, 0) == 0) _spillEnd = 0;
	}
}


bool RunJournal::openSpillLocked()
{
	if (_spillFd >= 0) return true;
	_spillFd = ::open(_spillDirectory.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (_spillFd < 0)
	{
		// No O_TMPFILE on this file system: a named file, unlinked at once.
		std::string name = _spillDirectory + "/execd-journal-XXXXXX";
		_spillFd = ::mkostemp(&name[0], O_CLOEXEC);
		if (_spillFd >= 0) ::unlink(name.c_str());
	}
	if (_spillFd < 0)
	{
		// Tried again at the next block: the cause may pass (EMFILE).
		if (_spillFailed) return false;
		_spillFailed = true;
		Poco::Logger::get("execd").warning("cannot create a run journal's spill file in %s: %s; only its last %z bytes are kept",
			_spillDirectory, std::string(std::strerror(errno)), MEMORY_BLOCKS * BLOCK_BYTES);
		return false;
	}
	return true;
}


void RunJournal::finish()
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (_finished) return;
	_finished = true;
	_finishedAt = std::chrono::steady_clock::now();
	// A finished run waits for readers at little cost: a small journal stays in
	// memory, a larger one goes to the file.
	// Where the file fails, what is in memory (at most MEMORY_BLOCKS) stays there.
	if (_kept > SMALL_BYTES)
	{
		for (;;)
		{
			auto it = std::find_if(_blocks.begin(), _blocks.end(), [](const Block& b) { return b.inMemory; });
			if (it == _blocks.end() || !spillLocked(*it, false)) break;
		}
	}
	for (Block& block: _blocks)
		block.data.shrink_to_fit();
	trimLocked();
	_changed.notify_all();
}


std::string RunJournal::blockDataLocked(const Block& block) const
{
	std::string data(block.size, '\0');
	std::size_t done = 0;
	while (done < block.size)
	{
		ssize_t n = ::pread(_spillFd, &data[done], block.size - done, static_cast<off_t>(block.fileOffset + done));
		if (n < 0 && errno == EINTR) continue;
		if (n <= 0) throw Poco::IOException("cannot read the run's journal", n < 0 ? std::strerror(errno) : "short file");
		done += static_cast<std::size_t>(n);
	}
	return data;
}


RunJournal::Batch RunJournal::read(std::uint64_t after, std::size_t maxBytes) const
{
	std::lock_guard<std::mutex> lock(_mutex);
	Batch batch;
	if (after >= _nextId - 1)
	{
		batch.complete = _finished;   // nothing after it, whatever the id
		return batch;
	}
	std::uint64_t want = after + 1;
	const std::uint64_t firstKept = _blocks.empty() ? _nextId : _blocks.front().firstId;
	if (want < firstKept)
	{
		batch.dropped = firstKept - want;
		want = firstKept;
	}
	if (want < _nextId)
	{
		auto it = std::upper_bound(_blocks.begin(), _blocks.end(), want,
			[](std::uint64_t id, const Block& block) { return id < block.firstId; });
		std::size_t bytes = 0;
		bool full = false;
		for (auto i = std::prev(it); i != _blocks.end() && !full; ++i)
		{
			std::string loaded;
			if (!i->inMemory) loaded = blockDataLocked(*i);
			const std::string& data = i->inMemory ? i->data : loaded;
			std::uint64_t id = i->firstId;
			for (std::size_t pos = 0; pos + HEADER_BYTES <= data.size(); ++id)
			{
				std::uint32_t length = 0;
				std::memcpy(&length, data.data() + pos, 4);
				const bool raw = data[pos + 4] != 0;
				pos += HEADER_BYTES;
				if (id >= want)
				{
					if (!batch.entries.empty() && bytes + length > maxBytes)
					{
						full = true;
						break;
					}
					batch.entries.push_back(Entry{id, data.substr(pos, length), raw});
					bytes += length;
				}
				pos += length;
			}
		}
	}
	const std::uint64_t last = batch.entries.empty() ? want - 1 : batch.entries.back().id;
	batch.complete = _finished && last + 1 >= _nextId;
	return batch;
}


bool RunJournal::waitBeyond(std::uint64_t after, std::chrono::steady_clock::time_point deadline) const
{
	std::unique_lock<std::mutex> lock(_mutex);
	++_waiters;
	bool ready = _changed.wait_until(lock, deadline, [&] { return _nextId - 1 > after || _finished; });
	--_waiters;
	return ready;
}


std::uint64_t RunJournal::lastId() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _nextId - 1;
}


bool RunJournal::finished() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _finished;
}


std::chrono::steady_clock::time_point RunJournal::finishedAt() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _finishedAt;
}


std::uint64_t RunJournal::droppedEvents() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _dropped;
}


std::size_t RunJournal::keptBytes() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _kept;
}


std::size_t RunJournal::memoryBytes() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _inMemory;
}


} // namespace execd
