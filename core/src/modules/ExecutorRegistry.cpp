#include "execd/ExecutorRegistry.h"
#include "execd/ApiException.h"
#include "Poco/Exception.h"
#include <algorithm>


namespace execd {


ExecutorRegistry::ExecutorRegistry() = default;
ExecutorRegistry::~ExecutorRegistry() = default;


void ExecutorRegistry::add(const ExecutorBinding& binding, const std::string& owner)
{
	if (binding.key.kind.empty() || binding.key.name.empty() || !binding.pExecutor)
		throw Poco::InvalidArgumentException("module '" + owner + "' registers an incomplete executor binding", binding.key.toString());
	if (binding.key.kind == ExecutorKey::CODE && !binding.pCodeExecutor)
		throw Poco::InvalidArgumentException("module '" + owner + "': a code executor must be bound with ExecutorBinding::code()", binding.key.name);
	auto it = _entries.find(binding.key);
	if (it != _entries.end())
	{
		throw Poco::ExistsException("executor " + binding.key.toString() + " is registered by both module '"
			+ it->second.owner + "' and module '" + owner + "'");
	}
	_entries.emplace(binding.key, Entry{binding, owner});
}


Executor* ExecutorRegistry::find(const std::string& kind, const std::string& name) const
{
	auto it = _entries.find(ExecutorKey{kind, name});
	return it == _entries.end() ? nullptr : it->second.binding.pExecutor;
}


CodeExecutor* ExecutorRegistry::findCode(const std::string& language) const
{
	auto it = _entries.find(ExecutorKey{ExecutorKey::CODE, language});
	return it == _entries.end() ? nullptr : it->second.binding.pCodeExecutor;
}


std::vector<CodeExecutor*> ExecutorRegistry::codeExecutors() const
{
	std::vector<CodeExecutor*> result;
	for (const auto& e: _entries)
	{
		CodeExecutor* p = e.second.binding.pCodeExecutor;
		if (p && std::find(result.begin(), result.end(), p) == result.end())
			result.push_back(p);
	}
	return result;
}


std::vector<std::string> ExecutorRegistry::names(const std::string& kind) const
{
	std::vector<std::string> result;
	for (const auto& e: _entries)
	{
		if (e.first.kind == kind) result.push_back(e.first.name);
	}
	return result;
}


bool ExecutorRegistry::interrupt(const std::string& id) const
{
	std::vector<Executor*> order;
	auto addOnce = [&order](Executor* p)
	{
		if (std::find(order.begin(), order.end(), p) == order.end()) order.push_back(p);
	};
	for (const auto& e: _entries)
		if (e.first.kind == ExecutorKey::CODE) addOnce(e.second.binding.pExecutor);
	for (const auto& e: _entries)
		if (e.first.kind == ExecutorKey::COMMAND) addOnce(e.second.binding.pExecutor);
	for (const auto& e: _entries)
		addOnce(e.second.binding.pExecutor);
	for (Executor* p: order)
	{
		if (p->interrupt(id)) return true;
	}
	return false;
}


void ExecutorRegistry::interruptOrThrow(const std::string& id) const
{
	if (id.empty()) throw ApiException::missingQuery("id");
	bool found = false;
	try
	{
		found = interrupt(id);
	}
	catch (ApiException&)
	{
		throw;
	}
	catch (Poco::Exception& exc)
	{
		throw ApiException::runtimeError("error interruptting code context. " + exc.message());
	}
	catch (std::exception& exc)
	{
		throw ApiException::runtimeError("error interruptting code context. " + std::string(exc.what()));
	}
	if (!found)
		throw ApiException::runtimeError("error interruptting code context. no such session");
}


void ExecutorRegistry::clear()
{
	_entries.clear();
}


std::string ExecutorRegistry::owner(const std::string& kind, const std::string& name) const
{
	auto it = _entries.find(ExecutorKey{kind, name});
	return it == _entries.end() ? std::string() : it->second.owner;
}


} // namespace execd
