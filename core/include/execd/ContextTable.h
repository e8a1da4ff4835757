#pragma once

#include "execd/Executor.h"
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>


namespace execd {


template <class Context>
class ContextTable
	/// The contexts of a code executor, by id, with the lazily created default
	/// context of its language. Thread-safe; contexts are shared, so a run keeps
	/// its context alive while it is being deleted.
{
public:
	using Ptr = std::shared_ptr<Context>;

	void add(const std::string& id, Ptr pContext)
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_contexts[id] = std::move(pContext);
	}

	Ptr find(const std::string& id) const
	{
		std::lock_guard<std::mutex> lock(_mutex);
		auto it = _contexts.find(id);
		return it == _contexts.end() ? nullptr : it->second;
	}

	Ptr remove(const std::string& id)
		/// Forgets the context (the default one too); null when unknown.
	{
		std::lock_guard<std::mutex> lock(_mutex);
		auto it = _contexts.find(id);
		if (it == _contexts.end()) return nullptr;
		Ptr pContext = it->second;
		_contexts.erase(it);
		if (_default == id) _default.clear();
		return pContext;
	}

	std::vector<std::pair<std::string, Ptr>> all() const
	{
		std::lock_guard<std::mutex> lock(_mutex);
		return std::vector<std::pair<std::string, Ptr>>(_contexts.begin(), _contexts.end());
	}

	std::vector<ContextInfo> infos(const std::string& language) const
		/// Every context as clients see it (Context has cwd()).
	{
		std::vector<ContextInfo> out;
		for (const auto& c: all()) out.push_back(ContextInfo{c.first, language, c.second->cwd()});
		return out;
	}

	std::optional<ContextInfo> info(const std::string& id, const std::string& language) const
	{
		Ptr pContext = find(id);
		if (!pContext) return std::nullopt;
		return ContextInfo{id, language, pContext->cwd()};
	}

	std::vector<std::pair<std::string, Ptr>> takeAll()
		/// Every context, forgotten (shutdown).
	{
		std::lock_guard<std::mutex> lock(_mutex);
		std::vector<std::pair<std::string, Ptr>> out(_contexts.begin(), _contexts.end());
		_contexts.clear();
		_default.clear();
		return out;
	}

	Ptr defaultContext(const std::function<std::pair<std::string, Ptr>()>& create)
		/// The default context, created by create() (id and context) on first use,
		/// once even when several runs ask at the same time.
	{
		std::lock_guard<std::mutex> creating(_defaultMutex);
		{
			std::lock_guard<std::mutex> lock(_mutex);
			auto it = _contexts.find(_default);
			if (it != _contexts.end()) return it->second;
		}
		auto created = create();
		std::lock_guard<std::mutex> lock(_mutex);
		_contexts[created.first] = created.second;
		_default = created.first;
		return created.second;
	}

private:
	mutable std::mutex _mutex;
	std::mutex _defaultMutex;
	std::map<std::string, Ptr> _contexts;
	std::string _default;
};


} // namespace execd
