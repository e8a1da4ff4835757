#pragma once

#include "Poco/Net/WebSocket.h"
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>


namespace execd {
namespace pty {


class ReplayRing
	/// The last CAPACITY bytes of a session's output, with the total ever written.
{
public:
	static constexpr std::size_t CAPACITY = 1024 * 1024;

	void append(const char* data, std::size_t size);

	std::string since(long long offset, long long& first) const;
		/// The retained bytes from offset on (clamped to the oldest retained byte);
		/// first receives the offset of the first byte returned.

	long long total() const;

private:
	std::unique_ptr<char[]> _data;   ///< allocated at the first byte, untouched pages cost nothing
	long long _total = 0;
};


class Client
	/// One WebSocket attached to a session. Writes are serialised; each must end
	/// within the write deadline or the connection is dropped.
{
public:
	explicit Client(Poco::Net::WebSocket& socket);

	bool sendBinary(unsigned char channel, const char* data, std::size_t size);
	bool sendText(const std::string& json);
	bool sendPing();
	void close(int code, const std::string& reason);
		/// A close frame (best effort), then the socket is shut down.
	void shutdown();
	bool closed() const;

private:
	bool send(const char* data, std::size_t size, int flags);

	Poco::Net::WebSocket& _socket;
	std::mutex _mutex;
	std::atomic<bool> _closed{false};
};


class PtySession
	/// A PTY session: its replay ring, its shell (started when a client connects
	/// and none is running) and the one client attached to it.
{
public:
	PtySession(std::string id, std::string cwd, std::string command);
	~PtySession();

	const std::string& id() const;
	bool running() const;
	long long outputOffset() const;
	bool attached() const;
	std::chrono::steady_clock::time_point lastActivity() const;

	void serve(Poco::Net::WebSocket& socket, bool ptyMode, long long since, bool takeover);
		/// Runs a client connection to its end (the request thread): starts the
		/// shell if needed, sends the replay and "connected", then reads client
		/// frames until the client or the shell goes away.

	void terminate();
		/// SIGKILL to the shell's process group; the attached client gets the exit
		/// frame and is closed.

	static std::string json(const std::string& type, const std::string& key, const std::string& value);

private:
	bool start(bool ptyMode, std::string& error);
	void readLoop(int fd, unsigned char channel);
	void finish();
	void handleText(const std::string& text, Client& client);
	void writeInput(const char* data, std::size_t size, Client& client);
	void evict(std::chrono::milliseconds wait);

	std::string _id;
	std::string _cwd;
	std::string _command;

	mutable std::mutex _mutex;         // process state and the attached client
	std::condition_variable _changed;
	std::shared_ptr<Client> _pClient;
	pid_t _pid = -1;
	int _exitCode = -1;        // of the last shell (finish()); -1 when killed
	bool _ptyMode = true;
	int _master = -1;                  // PTY master, or the stdin pipe in pipe mode
	int _stdout = -1, _stderr = -1;    // pipe mode
	std::vector<std::thread> _readers;
	int _openReaders = 0;
	std::atomic<bool> _running{false};
	bool _stdinBroken = false;

	std::mutex _outputMutex;           // ring append + live send, and snapshot + attach
	ReplayRing _ring;
	std::atomic<long long> _offset{0};
	std::atomic<long long> _lastActivity;
};


} } // namespace execd::pty
