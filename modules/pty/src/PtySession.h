#pragma once

#include "PtyClient.h"
#include "ReplayRing.h"
#include "execd/Subprocess.h"
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

	void writeInput(const char* data, std::size_t size, PtyClient& client);
		/// To the shell's terminal (or stdin pipe), waiting at most 10 s for it to
		/// take the bytes; else the client gets STDIN_WRITE_FAILED and is shut down.

	void resize(int columns, int rows);
		/// The terminal's size; ignored in pipe mode and out of range.

	void signalForeground(int sig);
		/// To the job in the terminal's foreground (the shell's group at its
		/// prompt, or in pipe mode).

	void touch();
		/// A client frame came: the session is in use.

	void terminate();
		/// SIGKILL to the shell's process group; the attached client gets the exit
		/// frame and is closed.

	static std::string json(const std::string& type, const std::string& key, const std::string& value);

private:
	bool start(bool ptyMode, std::string& error);
	void startReaders();
	void attach(const std::shared_ptr<PtyClient>& client, long long since);
		/// The replay and "connected" (and the exit, if the shell already ended),
		/// at one point of the output: no gap, no duplicate.
	void readLoop(int fd, unsigned char channel);
	void finish();
	void evict(std::chrono::milliseconds wait);

	std::string _id;
	std::string _cwd;
	std::string _command;

	mutable std::mutex _mutex;         // process state and the attached client
	std::condition_variable _changed;
	std::shared_ptr<PtyClient> _pClient;
	Subprocess _shell;
	pid_t _pid = -1;                   // the shell's, while it runs
	int _exitCode = -1;        // of the last shell (finish()); -1 when killed
	bool _ptyMode = true;
	int _master = -1;                  // the shell's: PTY master, or the stdin pipe in pipe mode
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
