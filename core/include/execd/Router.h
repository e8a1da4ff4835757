#pragma once

#include "execd/Route.h"
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>


namespace execd {


class EXECD_API Router
	/// Maps method + path to a Route. Built once at startup, then only read,
	/// so lookups need no locking.
{
public:
	struct Result
	{
		enum Outcome
		{
			FOUND,
			METHOD_NOT_ALLOWED,   ///< the path is known, the method is not; see allowed
			NOT_FOUND
		};
		Outcome outcome = NOT_FOUND;
		const Route* pRoute = nullptr;
		RouteMatch match;
		std::string allowed;   ///< "GET, DELETE" for METHOD_NOT_ALLOWED
	};

	Router();
	~Router();

	void add(const Route& route, const std::string& owner);
		/// Registers a route on behalf of a module. Throws Poco::ExistsException
		/// naming both owners when the same method and pattern (parameter names
		/// aside) is already registered, and Poco::InvalidArgumentException for a
		/// malformed pattern.

	Result find(const std::string& method, const std::string& path) const;
		/// Looks the path up. The path is the decoded URI path without query.

	std::size_t size() const;

	void clear();
		/// Forgets every route. Called before module libraries are unloaded: a
		/// route's factory is code from the module that registered it.

private:
	struct Entry
	{
		Route route;
		std::string owner;
		std::string shape;                  ///< pattern with params normalised, for duplicate checks
		std::vector<std::string> segments;  ///< literal, "{name}" or "{name*}"
		std::size_t literalCount = 0;
		bool hasRest = false;
	};

	static std::vector<std::string> split(const std::string& path);
	static bool matches(const Entry& entry, const std::vector<std::string>& segments, std::map<std::string, std::string>& params);
	static bool better(const Entry& candidate, const Entry& current);

	std::vector<Entry> _entries;
	std::unordered_map<std::string, std::vector<std::size_t>> _literal;   ///< path without params -> entries
};


} // namespace execd
