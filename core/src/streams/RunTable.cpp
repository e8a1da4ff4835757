#include "execd/RunTable.h"
#include "execd/Http.h"


namespace execd {


RunTable& RunTable::instance()
{
	static RunTable table;
	return table;
}


void RunTable::configure(const Settings& settings)
{
	std::lock_guard<std::mutex> lock(_mutex);
	_settings = settings;
	evictLocked();
}


RunTable::Settings RunTable::settings() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _settings;
}


bool RunTable::requested(const Poco::Net::HTTPServerRequest& request)
{
	return request.has("Last-Event-ID") || Http::headerFlag(request, "X-Execd-Resumable");
}


std::shared_ptr<RunJournal> RunTable::create() const
{
	Settings s = settings();
	return std::make_shared<RunJournal>(s.journalBytes, s.spillDirectory);
}


void RunTable::publish(const std::string& id, std::shared_ptr<RunJournal> pJournal)
{
	std::lock_guard<std::mutex> lock(_mutex);
	_runs[id] = Run{std::move(pJournal), ++_published};
	evictLocked();
}


void RunTable::evictLocked()
{
	while (_runs.size() > _settings.maxRuns && !_runs.empty())
	{
		auto victim = _runs.end();
		bool victimFinished = false;
		for (auto it = _runs.begin(); it != _runs.end(); ++it)
		{
			const bool finished = it->second.pJournal->finished();
			if (victim == _runs.end() || (finished && !victimFinished)
				|| (finished == victimFinished && it->second.order < victim->second.order))
			{
				victim = it;
				victimFinished = finished;
			}
		}
		_runs.erase(victim);
	}
	// The bytes finished journals keep (in their files, mostly), within the budget.
	std::uint64_t total = 0;
	for (const auto& run: _runs)
		if (run.second.pJournal->finished()) total += run.second.pJournal->keptBytes();
	while (total > _settings.totalBytes)
	{
		auto oldest = _runs.end();
		for (auto it = _runs.begin(); it != _runs.end(); ++it)
			if (it->second.pJournal->finished() && (oldest == _runs.end() || it->second.order < oldest->second.order)) oldest = it;
		if (oldest == _runs.end()) break;
		total -= oldest->second.pJournal->keptBytes();
		_runs.erase(oldest);
	}
}


std::shared_ptr<RunJournal> RunTable::find(const std::string& id) const
{
	std::lock_guard<std::mutex> lock(_mutex);
	auto it = _runs.find(id);
	if (it == _runs.end()) return nullptr;
	const RunJournal& journal = *it->second.pJournal;
	if (journal.finished() && std::chrono::steady_clock::now() - journal.finishedAt() > _settings.ttl) return nullptr;
	return it->second.pJournal;
}


void RunTable::collect()
{
	std::lock_guard<std::mutex> lock(_mutex);
	evictLocked();
	const auto now = std::chrono::steady_clock::now();
	for (auto it = _runs.begin(); it != _runs.end();)
	{
		const RunJournal& journal = *it->second.pJournal;
		if (journal.finished() && now - journal.finishedAt() > _settings.ttl)
			it = _runs.erase(it);
		else
			++it;
	}
}


std::size_t RunTable::size() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _runs.size();
}


void RunTable::clear()
{
	std::lock_guard<std::mutex> lock(_mutex);
	_runs.clear();
}


} // namespace execd
