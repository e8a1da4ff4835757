#include "CommandRegistry.h"
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


std::string CommandStatus::toJson() const
{
	std::string out = "{\"id\":" + Json::quote(id) + ",\"content\":" + Json::quote(content) + ",\"running\":" + (running ? "true" : "false");
	if (exitCode) out += ",\"exit_code\":" + std::to_string(*exitCode);
	if (!error.empty()) out += ",\"error\":" + Json::quote(error);
	out += ",\"started_at\":\"" + rfc3339(startedAt) + "\"";
	if (finishedAt) out += ",\"finished_at\":\"" + rfc3339(*finishedAt) + "\"";
	out += '}';
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
	_entries[status.id] = Entry{status, 0, std::string()};
	expire();
}


void CommandRegistry::started(const std::string& id, pid_t pgid)
{
	std::lock_guard<std::mutex> lock(_mutex);
	auto it = _entries.find(id);
	if (it != _entries.end()) it->second.pgid = pgid;
}


void CommandRegistry::finished(const std::string& id, std::optional<int> exitCode, const std::string& error)
{
	{
		std::lock_guard<std::mutex> lock(_mutex);
		auto it = _entries.find(id);
		if (it == _entries.end()) return;
		it->second.status.running = false;
		it->second.status.exitCode = exitCode;
		it->second.status.error = error;
		it->second.status.finishedAt = Poco::Timestamp();
		it->second.pgid = 0;
	}
	_changed.notify_all();
}


std::optional<CommandStatus> CommandRegistry::find(const std::string& id) const
{
	std::lock_guard<std::mutex> lock(_mutex);
	auto it = _entries.find(id);
	if (it == _entries.end()) return std::nullopt;
	return it->second.status;
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
	std::lock_guard<std::mutex> lock(_mutex);
	_entries.erase(id);
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
