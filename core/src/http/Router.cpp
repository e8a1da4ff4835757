#include "execd/Router.h"
#include "Poco/Exception.h"
#include <algorithm>


namespace execd {


RouteMatch::RouteMatch(std::string pattern, std::map<std::string, std::string> params):
	_pattern(std::move(pattern)),
	_params(std::move(params))
{
}


const std::string& RouteMatch::pattern() const
{
	return _pattern;
}


const std::string& RouteMatch::param(const std::string& name) const
{
	static const std::string EMPTY;
	auto it = _params.find(name);
	return it == _params.end() ? EMPTY : it->second;
}


const std::map<std::string, std::string>& RouteMatch::params() const
{
	return _params;
}


namespace {


bool isParam(const std::string& segment)
{
	return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}


bool isRest(const std::string& segment)
{
	return isParam(segment) && segment.size() >= 3 && segment[segment.size() - 2] == '*';
}


std::string paramName(const std::string& segment)
{
	return segment.substr(1, segment.size() - (isRest(segment) ? 3 : 2));
}


} // namespace


Router::Router() = default;
Router::~Router() = default;


std::vector<std::string> Router::split(const std::string& path)
{
	// "/a/b/" -> {"a", "b", ""}: a trailing slash is a distinct, empty last segment,
	// so "/files/info/" does not silently match "/files/info".
	std::vector<std::string> segments;
	std::size_t pos = 1;
	while (pos <= path.size())
	{
		std::size_t next = path.find('/', pos);
		if (next == std::string::npos) next = path.size();
		segments.push_back(path.substr(pos, next - pos));
		pos = next + 1;
	}
	return segments;
}


void Router::add(const Route& route, const std::string& owner)
{
	if (route.pattern.empty() || route.pattern[0] != '/')
		throw Poco::InvalidArgumentException("route pattern must start with '/'", route.pattern);
	if (route.method.empty())
		throw Poco::InvalidArgumentException("route method is empty", route.pattern);
	if (!route.create)
		throw Poco::InvalidArgumentException("route has no handler factory", route.pattern);

	Entry entry;
	entry.route = route;
	entry.owner = owner;
	entry.segments = route.pattern == "/" ? std::vector<std::string>{""} : split(route.pattern);
	std::string shape = route.method + " ";
	for (std::size_t i = 0; i < entry.segments.size(); ++i)
	{
		const std::string& segment = entry.segments[i];
		if (isRest(segment))
		{
			if (i + 1 != entry.segments.size())
				throw Poco::InvalidArgumentException("{name*} must be the last segment", route.pattern);
			entry.hasRest = true;
			shape += "/*";
		}
		else if (isParam(segment))
		{
			if (paramName(segment).empty())
				throw Poco::InvalidArgumentException("unnamed parameter", route.pattern);
			shape += "/{}";
		}
		else
		{
			if (segment.find_first_of("{}") != std::string::npos)
				throw Poco::InvalidArgumentException("a parameter must fill a whole segment", route.pattern);
			++entry.literalCount;
			shape += "/" + segment;
		}
	}
	entry.shape = shape;

	for (const Entry& existing: _entries)
	{
		if (existing.shape == entry.shape)
		{
			throw Poco::ExistsException("route " + route.method + " " + route.pattern + " is registered by both module '"
				+ existing.owner + "' and module '" + owner + "'");
		}
	}
	_entries.push_back(std::move(entry));
	if (_entries.back().literalCount == _entries.back().segments.size())
		_literal[route.pattern].push_back(_entries.size() - 1);
}


bool Router::matches(const Entry& entry, const std::vector<std::string>& segments, std::map<std::string, std::string>& params)
{
	const std::size_t n = entry.segments.size();
	if (entry.hasRest ? segments.size() < n - 1 : segments.size() != n)
		return false;
	for (std::size_t i = 0; i < n; ++i)
	{
		const std::string& want = entry.segments[i];
		if (entry.hasRest && i == n - 1)
		{
			std::string rest;
			for (std::size_t j = i; j < segments.size(); ++j)
			{
				if (j > i) rest += '/';
				rest += segments[j];
			}
			params[paramName(want)] = rest;
			return true;
		}
		if (isParam(want))
		{
			if (segments[i].empty()) return false;
			params[paramName(want)] = segments[i];
		}
		else if (want != segments[i])
		{
			return false;
		}
	}
	return true;
}


bool Router::better(const Entry& candidate, const Entry& current)
{
	// Position by position: literal > {param} > {rest*}.
	const std::size_t n = std::min(candidate.segments.size(), current.segments.size());
	for (std::size_t i = 0; i < n; ++i)
	{
		auto rank = [](const std::string& s) { return isRest(s) ? 0 : isParam(s) ? 1 : 2; };
		int a = rank(candidate.segments[i]);
		int b = rank(current.segments[i]);
		if (a != b) return a > b;
	}
	return candidate.segments.size() > current.segments.size();
}


Router::Result Router::find(const std::string& method, const std::string& path) const
{
	Result result;
	if (path.empty() || path[0] != '/')
		return result;

	auto lit = _literal.find(path);
	if (lit != _literal.end())
	{
		for (std::size_t index: lit->second)
		{
			if (_entries[index].route.method == method)
			{
				result.outcome = Result::FOUND;
				result.pRoute = &_entries[index].route;
				result.match = RouteMatch(_entries[index].route.pattern, {});
				return result;
			}
		}
	}

	const std::vector<std::string> segments = path == "/" ? std::vector<std::string>{""} : split(path);
	const Entry* pBest = nullptr;
	std::map<std::string, std::string> bestParams;
	std::vector<std::string> allowed;
	for (const Entry& entry: _entries)
	{
		std::map<std::string, std::string> params;
		if (!matches(entry, segments, params))
			continue;
		if (entry.route.method != method)
		{
			if (std::find(allowed.begin(), allowed.end(), entry.route.method) == allowed.end())
				allowed.push_back(entry.route.method);
			continue;
		}
		if (!pBest || better(entry, *pBest))
		{
			pBest = &entry;
			bestParams = std::move(params);
		}
	}
	if (pBest)
	{
		result.outcome = Result::FOUND;
		result.pRoute = &pBest->route;
		result.match = RouteMatch(pBest->route.pattern, std::move(bestParams));
	}
	else if (!allowed.empty())
	{
		result.outcome = Result::METHOD_NOT_ALLOWED;
		std::sort(allowed.begin(), allowed.end());
		for (const std::string& m: allowed)
		{
			if (!result.allowed.empty()) result.allowed += ", ";
			result.allowed += m;
		}
	}
	return result;
}


std::size_t Router::size() const
{
	return _entries.size();
}


void Router::clear()
{
	_literal.clear();
	_entries.clear();
}


} // namespace execd
