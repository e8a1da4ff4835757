#pragma once

#include <chrono>
#include <cstdint>
#include <istream>
#include <mutex>


namespace execd {
namespace shell {


class CommandInput
	/// The write end of a command's stdin pipe (POST /command with "stdin": true),
	/// fed by POST /command/{id}/stdin and closed by DELETE /command/{id}/stdin or
	/// when the command ends.
	///
	/// Writers take turns, in the order they got the turn: a request's body is
	/// never interleaved with another's. A write that finds the pipe full waits for
	/// the command to read, up to a deadline, and nothing is buffered here beyond
	/// one chunk: a command that does not read makes its writer wait, not execd
	/// grow. A close asked for while a writer has the turn takes effect when it is
	/// done, so that EOF follows everything sent before it.
	///
	/// All methods may be called from any thread.
{
public:
	static constexpr std::size_t CHUNK_BYTES = 64 * 1024;   ///< read from a request body at a time

	enum class Status
	{
		WRITTEN,    ///< the whole body is in the pipe
		CLOSED,     ///< stdin was closed before or while writing
		BROKEN,     ///< the command no longer reads its stdin (EPIPE)
		TIMEOUT,    ///< the pipe stayed full, or another writer kept the turn, past the deadline
		BODY_ERROR  ///< reading the request body failed
	};

	struct Fed
	{
		Status status = Status::WRITTEN;
		std::uint64_t bytes = 0;   ///< written to the pipe, whatever the status
	};

	explicit CommandInput(int fd);
		/// Takes fd, the write end of the pipe, and makes it non-blocking.

	~CommandInput();

	CommandInput(const CommandInput&) = delete;
	CommandInput& operator = (const CommandInput&) = delete;

	Fed feed(std::istream& body, std::chrono::milliseconds stall);
		/// Copies body to the pipe. Every wait (for the turn, for room in the pipe)
		/// lasts at most stall; data that flows keeps the request going.

	void close();
		/// EOF for the command, now or once the writer that has the turn is done.

	bool isOpen() const;
		/// False once close() was called.

private:
	bool begin();
	void end();
	Status writeAll(const char* data, std::size_t size, std::chrono::milliseconds stall, std::uint64_t& written);

	std::timed_mutex _turn;
	mutable std::mutex _mutex;
	int _fd;
	bool _writing = false;
	bool _closeAsked = false;
};


} } // namespace execd::shell
