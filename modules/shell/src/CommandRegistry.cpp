#include "CommandRegistry.h"
#include "execd/ApiException.h"
#include "execd/StreamEvent.h"
#include "Poco/Exception.h"
#include "Poco/File.h"
#include <csignal>
#include <ctime>
#include <vector>


namespace execd {
namespace shell {


std::string rfc3339(const Poco::Timestamp& time)
{
	Poco::Timestamp::TimeVal micros = time.epochMicroseconds();
	std::time_t seconds = static_cast<std::time_t>(micros / 1000000);
	struct tm tm;
	::gmtime_r(&seconds, &tm);
	char buffer[64];
	std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%S", &tm);
	std::string out = buffer;
	long fraction = static_cast<long>(micros % 1000000);
	if (fraction > 0)
	{
		char digits[16];
		std::snprintf(digits, sizeof(digits), ".%06ld", fraction);
		std::string f = digits;
		while (f.back() == '0') f.pop_back();
		out += f;
	}
	out += 'Z';
	return out;
}


void CommandStatus::appendEnd(std::string& out) const
{
	if (exitCode) out += ",\"exit_code\":" + std::to_string(*exitCode);
	if (!error.empty()) out += ",\"error\":" + Json::quote(error);
	out += ",\"started_at\":\"" + rfc3339(startedAt) + "\"";
	if (finishedAt) out += ",\"finished_at\":\"" + rfc3339(*finishedAt) + "\"";
	out += '}';
}


std::string CommandStatus::toJson() const
{
	std::string out = "{\"id\":" + Json::quote(id) + ",\"content\":" + Json::quote(content) + ",\"running\":" + (running ? "true" : "false");
	appendEnd(out);
	return out;
}


std::string CommandStatus::toListJson() const
{
	std::string out = "{\"id\":" + Json::quote(id) + ",\"content\":" + Json::quote(content);
	if (!tag.empty()) out += ",\"tag\":" + Json::quote(tag);
	out += std::string(",\"running\":") + (running ? "true" : "false");
	out += std::string(",\"background\":") + (background ? "true" : "false");
	if (pid > 0) out += ",\"pid\":" + std::to_string(pid);
	if (stdinPipe) out += std::string(",\"stdin\":") + (stdinOpen ? "\"open\"" : "\"closed\"");
	appendEnd(out);
	return out;
}


CommandRegistry::CommandRegistry(std::size_t keepFinished, std::chrono::milliseconds keepFor):
	_keepFinished(keepFinished),
	_keepFor(keepFor)
{
}


CommandRegistry::~CommandRegistry() = default;


void CommandRegistry::add(const CommandStatus& status)
{
	std::lock_guard<std::mutex> lock(_mutex);
	Entry entry;
	entry.status = status;
	entry.order = ++_added;
	_entries[status.id] = std::move(entry);
	expire();
}


void CommandRegistry::started(const std::string& id, pid_t pgid, std::shared_ptr<CommandInput> pInput, std::shared_ptr<CommandTap> pTap)
{
	std::lock_guard<std::mutex> lock(_mutex);
	auto it = _entries.find(id);
	if (it == _entries.end()) return;
	it->second.pgid = pgid;
	it->second.status.pid = pgid;
	it->second.pInput = std::move(pInput);
	it->second.pTap = std::move(pTap);
	it->second.status.stdinPipe = it->second.pInput != nullptr;
	it->second.status.stdinOpen = it->second.pInput != nullptr;
}


void CommandRegistry::announced(const std::string& id)
{
	{
		std::lock_guard<std::mutex> lock(_mutex);
		auto it = _entries.find(id);
		if (it != _entries.end()) it->second.status.announced = true;
	}
	_changed.notify_all();
}


void CommandRegistry::finished(const std::string& id, std::optional<int> exitCode, const std::string& error)
{
	std::shared_ptr<CommandInput> pInput;
	std::shared_ptr<CommandTap> pTap;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		auto it = _entries.find(id);
		if (it == _entries.end()) return;
		it->second.status.running = false;
		it->second.status.exitCode = exitCode;
		it->second.status.error = error;
		it->second.status.finishedAt = Poco::Timestamp();
		it->second.status.stdinOpen = false;
		it->second.pgid = 0;
		pInput.swap(it->second.pInput);
		pTap.swap(it->second.pTap);
	}
	// A writer that still has the turn closes the pipe when it is done.
	if (pInput) pInput->close();
	_changed.notify_all();
}


std::optional<CommandStatus> CommandRegistry::find(const std::string& id) const
{
	std::lock_guard<std::mutex> lock(_mutex);
	auto it = _entries.find(id);
	if (it == _entries.end()) return std::nullopt;
	return it->second.status;
}


std::optional<CommandStatus> CommandRegistry::findAnnounced(const std::string& id, std::chrono::milliseconds wait) const
{
	std::unique_lock<std::mutex> lock(_mutex);
	auto it = _entries.end();
	_changed.wait_for(lock, wait, [this, &id, &it]
	{
		it = _entries.find(id);
		return it == _entries.end() || !it->second.status.running || it->second.status.background || it->second.status.announced;
	});
	if (it == _entries.end()) return std::nullopt;
	return it->second.status;
}


CommandPage CommandRegistry::list(const CommandFilter& filter) const
{
	std::lock_guard<std::mutex> lock(_mutex);
	std::vector<const Entry*> matching;
	for (const auto& e: _entries)
	{
		const Entry& entry = e.second;
		if (entry.order <= filter.after) continue;
		if (filter.running && entry.status.running != *filter.running) continue;
		if (!filter.tag.empty() && entry.status.tag != filter.tag) continue;
		matching.push_back(&entry);
	}
	std::sort(matching.begin(), matching.end(), [](const Entry* a, const Entry* b) { return a->order < b->order; });
	CommandPage page;
	for (std::size_t i = 0; i < matching.size() && i < filter.limit; ++i)
		page.commands.push_back(matching[i]->status);
	if (matching.size() > filter.limit && filter.limit > 0)
		page.next = matching[filter.limit - 1]->order;
	return page;
}


const CommandRegistry::Entry& CommandRegistry::runningLocked(const std::string& id) const
{
	auto it = _entries.find(id);
	if (it == _entries.end())
		throw ApiException::notFound(ErrorCode::COMMAND_NOT_FOUND, "command not found: " + id);
	if (!it->second.status.running || it->second.pgid <= 0)
		throw ApiException(409, ErrorCode::COMMAND_NOT_RUNNING, "command " + id + " is not running");
	return it->second;
}


std::shared_ptr<CommandInput> CommandRegistry::input(const std::string& id) const
{
	std::lock_guard<std::mutex> lock(_mutex);
	const Entry& entry = runningLocked(id);
	if (!entry.pInput)
		throw ApiException(409, ErrorCode::STDIN_NOT_OPEN, "command " + id + " was started without \"stdin\": true");
	if (!entry.pInput->isOpen())
		throw ApiException(409, ErrorCode::STDIN_NOT_OPEN, "the stdin of command " + id + " is closed");
	return entry.pInput;
}


void CommandRegistry::closeInput(const std::string& id)
{
	std::shared_ptr<CommandInput> pInput = input(id);
	pInput->close();
	std::lock_guard<std::mutex> lock(_mutex);
	auto it = _entries.find(id);
	if (it != _entries.end()) it->second.status.stdinOpen = false;
}


void CommandRegistry::signal(const std::string& id, int sig)
{
	std::lock_guard<std::mutex> lock(_mutex);
	const Entry& entry = runningLocked(id);
	// As interrupt(): between the reap and finished() the group id is stale for
	// a moment; the pid space would have to wrap within it for this to matter.
	::kill(-entry.pgid, sig);
}


std::shared_ptr<CommandTap::Follower> CommandRegistry::follow(const std::string& id, std::shared_ptr<CommandTap>& pTap) const
{
	std::lock_guard<std::mutex> lock(_mutex);
	auto it = _entries.find(id);
	if (it == _entries.end() || !it->second.pTap || !it->second.status.announced) return nullptr;
	pTap = it->second.pTap;
	return pTap->attach();
}


bool CommandRegistry::waitFinished(const std::string& id, std::chrono::milliseconds wait) const
{
	std::unique_lock<std::mutex> lock(_mutex);
	return _changed.wait_for(lock, wait, [this, &id]
	{
		auto it = _entries.find(id);
		return it == _entries.end() || !it->second.status.running;
	});
}


bool CommandRegistry::interrupt(const std::string& id, std::chrono::milliseconds grace)
{
	std::unique_lock<std::mutex> lock(_mutex);
	auto it = _entries.find(id);
	if (it == _entries.end()) return false;
	if (!it->second.status.running || it->second.pgid <= 0)
		throw Poco::IllegalStateException("command session " + id + " is not running");
	pid_t pgid = it->second.pgid;
	it->second.stopReason = "interrupted";
	::kill(-pgid, SIGTERM);
	auto ended = [this, &id]
	{
		auto e = _entries.find(id);
		return e == _entries.end() || !e->second.status.running;
	};
	if (_changed.wait_for(lock, grace, ended)) return true;
	::kill(-pgid, SIGKILL);
	_changed.wait_for(lock, std::chrono::seconds(1), ended);
	return true;
}


void CommandRegistry::forget(const std::string& id)
{
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_entries.erase(id);
	}
	_changed.notify_all();   // findAnnounced() waits no more
}


void CommandRegistry::killAll()
{
	std::lock_guard<std::mutex> lock(_mutex);
	for (auto& e: _entries)
	{
		if (e.second.status.running && e.second.pgid > 0)
		{
			e.second.stopReason = "daemon_shutdown";
			::kill(-e.second.pgid, SIGKILL);
		}
	}
}


std::string CommandRegistry::stopReason(const std::string& id) const
{
	std::lock_guard<std::mutex> lock(_mutex);
	auto it = _entries.find(id);
	return it == _entries.end() ? std::string() : it->second.stopReason;
}


std::size_t CommandRegistry::size() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _entries.size();
}


std::size_t CommandRegistry::running() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	std::size_t n = 0;
	for (const auto& e: _entries)
		if (e.second.status.running) ++n;
	return n;
}


void CommandRegistry::expire()
{
	// Called with the mutex held. Oldest finished first.
	const Poco::Timestamp now;
	std::vector<std::pair<Poco::Timestamp, std::string>> finished;
	for (const auto& e: _entries)
	{
		if (!e.second.status.running && e.second.status.finishedAt)
			finished.emplace_back(*e.second.status.finishedAt, e.first);
	}
	std::sort(finished.begin(), finished.end());
	std::size_t excess = finished.size() > _keepFinished ? finished.size() - _keepFinished : 0;
	for (std::size_t i = 0; i < finished.size(); ++i)
	{
		bool old = (now - finished[i].first) / 1000 > _keepFor.count();
		if (i < excess || old)
		{
			auto it = _entries.find(finished[i].second);
			if (!it->second.status.outputPath.empty())
			{
				try
				{
					Poco::File(it->second.status.outputPath).remove();
				}
				catch (Poco::Exception&)
				{
				}
			}
			_entries.erase(it);
		}
	}
}


} } // namespace execd::shell
