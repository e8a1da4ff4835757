#pragma once

#include "execd/Executor.h"
#include <map>
#include <string>
#include <vector>


namespace execd {


class EXECD_API ExecutorRegistry
	/// Every executor the loaded modules contribute, by kind and name. Filled while
	/// modules are configured, read-only while serving, so lookups need no lock.
{
public:
	ExecutorRegistry();
	~ExecutorRegistry();

	void add(const ExecutorBinding& binding, const std::string& owner);
		/// Throws Poco::ExistsException naming both modules when the key is taken,
		/// and Poco::InvalidArgumentException for an incomplete binding.

	Executor* find(const std::string& kind, const std::string& name) const;
		/// The executor for that key, or nullptr.

	CodeExecutor* findCode(const std::string& language) const;
		/// The code executor for a language, or nullptr.

	std::vector<CodeExecutor*> codeExecutors() const;
		/// Every code executor once, even when it serves several languages.

	std::vector<std::string> names(const std::string& kind) const;

	std::string owner(const std::string& kind, const std::string& name) const;
		/// The module that contributed the executor; "" when there is none.

	bool interrupt(const std::string& id) const;
		/// Offers the id to code executors first, then command executors, then the
		/// rest, as upstream resolves ids. Returns false when none knows it; an
		/// executor that knows it but fails throws.

	void interruptOrThrow(const std::string& id) const;
		/// What DELETE /code?id= and DELETE /command?id= do: interrupt(), with
		/// upstream's errors as ApiException: 400 MISSING_QUERY for an empty id,
		/// 500 "error interruptting code context. no such session" for an unknown
		/// one, 500 "error interruptting code context. <cause>" on failure.

	void clear();
		/// Forgets every binding; called before the modules that own them go away.

private:
	struct Entry
	{
		ExecutorBinding binding;
		std::string owner;
	};
	std::map<ExecutorKey, Entry> _entries;
};


} // namespace execd
