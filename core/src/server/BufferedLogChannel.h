#pragma once

#include "Poco/Channel.h"
#include "Poco/Message.h"
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>


namespace execd {


class BufferedLogChannel: public Poco::Channel
	/// The end of execd's logging chain: appends each (already formatted) line to a
	/// buffer and lets one thread write the buffer out every flush interval, so a
	/// request thread never waits for a write(2) or for another thread's write.
	///
	/// Writes go to standard output, or to a file that is rotated at a size limit
	/// (file -> file.1 -> ... -> file.N, the oldest dropped). Memory is bounded:
	/// when the writer cannot keep up (a stalled pipe), lines are dropped and
	/// counted, and the count is logged once writing works again. Lines of priority
	/// error and above wake the writer at once. No caller ever writes or waits for a
	/// write; close() waits at most half a second for the last lines to go out.
{
public:
	BufferedLogChannel(const std::string& path, std::uint64_t rotateBytes = 100ull << 20, int keepFiles = 10);
		/// path empty or "stdout" = standard output, "stderr" = standard error.
		/// Opens a file at once; throws Poco::FileException when it cannot.

	void log(const Poco::Message& message) override;
	void close() override;

	void flush();
		/// Writes whatever is buffered, now.

protected:
	~BufferedLogChannel() override;

private:
	void run();
	void writeOut(std::string& data);
	void rotateIfNeeded();
	void openFile();

	std::string _path;
	std::uint64_t _rotateBytes;
	int _keepFiles;
	int _fd = 1;
	std::uint64_t _size = 0;

	std::mutex _mutex;          // guards _buffer, _dropped, _stop
	std::condition_variable _cv;
	std::string _buffer;
	std::uint64_t _dropped = 0;
	bool _stop = false;
	bool _finished = false;
	std::condition_variable _done;
	std::mutex _writeMutex;     // one writer at a time
	std::thread _thread;
};


} // namespace execd
