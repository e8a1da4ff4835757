#include "server/BufferedLogChannel.h"
#include "Poco/Exception.h"
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>


namespace execd {


namespace {


const std::size_t MAX_BUFFERED = 4 << 20;
const std::size_t WAKE_AT = 64 << 10;
const auto FLUSH_INTERVAL = std::chrono::milliseconds(50);
const auto CLOSE_WAIT = std::chrono::milliseconds(500);


} // namespace


BufferedLogChannel::BufferedLogChannel(const std::string& path, std::uint64_t rotateBytes, int keepFiles):
	_path(path),
	_rotateBytes(rotateBytes),
	_keepFiles(keepFiles)
{
	if (_path == "stdout")
		_path.clear();
	else if (_path == "stderr")
	{
		_path.clear();
		_fd = 2;
	}
	if (!_path.empty()) openFile();
	_thread = std::thread([this] { run(); });
}


BufferedLogChannel::~BufferedLogChannel()
{
	try
	{
		close();
	}
	catch (...)
	{
	}
}


void BufferedLogChannel::openFile()
{
	int fd = ::open(_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		throw Poco::FileException("cannot open log file " + _path + ": " + std::strerror(errno));
	struct stat st;
	_size = ::fstat(fd, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
	if (_fd > 2) ::close(_fd);
	_fd = fd;
}


void BufferedLogChannel::log(const Poco::Message& message)
{
	const std::string& text = message.getText();
	bool urgent = message.getPriority() <= Poco::Message::PRIO_ERROR;
	bool closed = false;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (_buffer.size() + text.size() + 1 > MAX_BUFFERED)
		{
			++_dropped;
			return;
		}
		_buffer += text;
		_buffer += '\n';
		closed = _stop;
		if (!closed && !urgent && _buffer.size() < WAKE_AT) return;
	}
	// The caller never writes: only the flusher thread does, so a stalled
	// destination (a pipe nobody reads) cannot block a request thread.
	if (!closed) _cv.notify_one();
}


void BufferedLogChannel::flush()
{
	std::string data;
	std::lock_guard<std::mutex> writeLock(_writeMutex);
	{
		std::lock_guard<std::mutex> lock(_mutex);
		data.swap(_buffer);
		if (_dropped)
		{
			data += "(" + std::to_string(_dropped) + " log lines dropped: the log destination could not keep up)\n";
			_dropped = 0;
		}
	}
	writeOut(data);
}


void BufferedLogChannel::writeOut(std::string& data)
{
	std::size_t done = 0;
	while (done < data.size())
	{
		ssize_t n = ::write(_fd, data.data() + done, data.size() - done);
		if (n < 0)
		{
			if (errno == EINTR) continue;
			break;   // nowhere to report it: the log is the report
		}
		done += static_cast<std::size_t>(n);
	}
	_size += done;
	rotateIfNeeded();
}


void BufferedLogChannel::rotateIfNeeded()
{
	if (_path.empty() || _rotateBytes == 0 || _size < _rotateBytes) return;
	for (int i = _keepFiles - 1; i >= 1; --i)
	{
		std::string from = _path + "." + std::to_string(i);
		std::string to = _path + "." + std::to_string(i + 1);
		::rename(from.c_str(), to.c_str());
	}
	if (_keepFiles > 0)
		::rename(_path.c_str(), (_path + ".1").c_str());
	else
		::unlink(_path.c_str());
	try
	{
		openFile();
	}
	catch (Poco::Exception&)
	{
	}
}


void BufferedLogChannel::run()
{
	std::unique_lock<std::mutex> lock(_mutex);
	for (;;)
	{
		_cv.wait_for(lock, FLUSH_INTERVAL, [this] { return _stop || !_buffer.empty(); });
		bool stop = _stop;
		if (!_buffer.empty() || _dropped)
		{
			lock.unlock();
			flush();
			lock.lock();
		}
		if (stop) break;
	}
	_finished = true;
	_done.notify_all();
}


void BufferedLogChannel::close()
{
	{
		std::unique_lock<std::mutex> lock(_mutex);
		if (_stop) return;
		_stop = true;
		_cv.notify_all();
		// The flusher writes what is left and ends. If the destination is stalled
		// it may never return: give up waiting and leave it behind, the process is
		// on its way out.
		if (!_done.wait_for(lock, CLOSE_WAIT, [this] { return _finished; }))
		{
			_thread.detach();
			return;
		}
	}
	_thread.join();
	std::lock_guard<std::mutex> writeLock(_writeMutex);
	if (_fd > 2)
	{
		::close(_fd);
		_fd = 1;
	}
}


} // namespace execd
