#include "CommandRequest.h"
#include "execd/UserEnvironment.h"
#include "Poco/Exception.h"
#include "Poco/File.h"
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <set>
#include <sys/stat.h>


extern char** environ;


namespace execd {
namespace shell {


namespace {


const std::string PREFIX = "invalid request, validation error ";


bool nameChar(char c, bool first)
{
	return c == '_' || std::isalpha(static_cast<unsigned char>(c)) || (!first && std::isdigit(static_cast<unsigned char>(c)));
}


} // namespace


SessionRunRequest SessionRunRequest::fromJson(const JsonBody& body)
{
	const std::string invalid = "invalid request. ";
	SessionRunRequest r;
	r.command = body.getString("command").value_or("");
	r.cwd = body.getString("cwd").value_or("");
	auto timeout = body.getInt("timeout", std::numeric_limits<Poco::Int64>::min(), std::numeric_limits<Poco::Int64>::max());
	if (r.command.empty())
		throw ApiException::badRequest(invalid + "Key: 'RunInSessionRequest.Command' Error:Field validation for 'Command' failed on the 'required' tag");
	if (timeout && *timeout < 0)
		throw ApiException::badRequest(invalid + "Key: 'RunInSessionRequest.Timeout' Error:Field validation for 'Timeout' failed on the 'gte' tag");
	if (timeout && *timeout > 0)
		r.timeout = std::chrono::milliseconds(std::min<Poco::Int64>(*timeout, 365LL * 24 * 3600 * 1000));
	if (!r.cwd.empty())
	{
		try
		{
			r.cwd = Environment::expand(r.cwd, Environment::current());
		}
		catch (Poco::Exception& exc)
		{
			throw ApiException::badRequest(invalid + exc.message());
		}
		struct stat st;
		if (::stat(r.cwd.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
			throw ApiException::badRequest(invalid + "working directory does not exist: " + r.cwd);
	}
	return r;
}


CommandRequest CommandRequest::fromJson(const JsonBody& body)
{
	CommandRequest r;
	r.command = body.getString("command").value_or("");
	r.background = body.getBool("background").value_or(false);
	auto timeout = body.getInt("timeout", std::numeric_limits<Poco::Int64>::min(), std::numeric_limits<Poco::Int64>::max());
	auto uid = body.getInt("uid", 0, 4294967295LL);
	auto gid = body.getInt("gid", 0, 4294967295LL);
	r.envs = body.getStringMap("envs").value_or(std::map<std::string, std::string>{});
	std::string cwd = body.getString("cwd").value_or("");
	r.stdinPipe = body.getBool("stdin").value_or(false);
	r.tag = body.getString("tag").value_or("");
	r.limits = ResourceLimits::fromJson(body, PREFIX);

	if (r.command.empty())
		throw ApiException::badRequest(PREFIX + "Key: 'RunCommandRequest.Command' Error:Field validation for 'Command' failed on the 'required' tag");
	checkText(r.command, "the command");
	checkText(cwd, "the working directory");
	// (Names cannot hold one: POCO's JSON parser ends object keys at a NUL.)
	for (const auto& kv: r.envs)
		checkText(kv.second, "the environment variable " + kv.first);
	checkText(r.tag, "the tag");
	if (r.tag.size() > MAX_TAG_BYTES)
		throw ApiException::badRequest(PREFIX + "the tag is longer than " + std::to_string(MAX_TAG_BYTES) + " bytes");
	if (timeout && *timeout < 0)
		throw ApiException::badRequest(PREFIX + "Key: 'RunCommandRequest.Timeout' Error:Field validation for 'Timeout' failed on the 'gte' tag");
	if (gid && !uid)
		throw ApiException::badRequest(PREFIX + "uid is required when gid is provided");
	// Beyond a year is "no timeout" in practice, and keeps deadline arithmetic safe.
	if (timeout) r.timeout = std::chrono::milliseconds(std::min<Poco::Int64>(*timeout, 365LL * 24 * 3600 * 1000));
	if (uid) r.uid = static_cast<uid_t>(*uid);
	if (gid) r.gid = static_cast<gid_t>(*gid);

	if (!cwd.empty())
	{
		std::string expanded;
		try
		{
			expanded = Environment::expand(cwd, UserEnvironment::build(r.envs));
		}
		catch (Poco::Exception& exc)
		{
			throw ApiException::badRequest(PREFIX + exc.message());
		}
		struct stat st;
		if (::stat(expanded.c_str(), &st) != 0)
		{
			std::string why = std::strerror(errno);
			if (!why.empty()) why[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(why[0])));
			throw ApiException::badRequest(PREFIX + "working directory does not exist: " + expanded + ": stat " + expanded + ": " + why);
		}
		if (!S_ISDIR(st.st_mode))
			throw ApiException::badRequest(PREFIX + "working directory path is not a directory: " + expanded);
		r.cwd = expanded;
	}
	return r;
}


void CommandRequest::checkText(const std::string& text, const std::string& what)
{
	if (text.find('\0') != std::string::npos)
		throw ApiException::badRequest(PREFIX + what + " contains a NUL byte");
}


namespace Environment {


std::map<std::string, std::string> current()
{
	std::map<std::string, std::string> env;
	for (char** e = environ; *e; ++e)
	{
		const char* eq = std::strchr(*e, '=');
		if (eq) env[std::string(*e, static_cast<std::size_t>(eq - *e))] = eq + 1;
	}
	return env;
}


std::string expand(const std::string& path, const std::map<std::string, std::string>& env)
{
	std::string out;
	std::set<std::string> undefined;
	std::size_t i = 0;
	if (!path.empty() && path[0] == '~' && (path.size() == 1 || path[1] == '/'))
	{
		auto home = env.find("HOME");
		if (home == env.end() || home->second.empty())
			throw Poco::NotFoundException("cannot expand ~: HOME is not set");
		out = home->second;
		i = 1;
	}
	while (i < path.size())
	{
		char c = path[i];
		if (c != '$' || i + 1 >= path.size())
		{
			out += c;
			++i;
			continue;
		}
		std::string name;
		std::size_t next = i + 1;
		if (path[next] == '{')
		{
			std::size_t close = path.find('}', next);
			if (close == std::string::npos)
			{
				out += c;
				++i;
				continue;
			}
			name = path.substr(next + 1, close - next - 1);
			next = close + 1;
		}
		else
		{
			std::size_t j = next;
			while (j < path.size() && nameChar(path[j], j == next)) ++j;
			name = path.substr(next, j - next);
			next = j;
			if (name.empty())
			{
				out += c;
				++i;
				continue;
			}
		}
		auto it = env.find(name);
		if (it == env.end())
			undefined.insert(name);
		else
			out += it->second;
		i = next;
	}
	if (!undefined.empty())
	{
		std::string list;
		for (const std::string& n: undefined) list += (list.empty() ? "" : ",") + n;
		throw Poco::NotFoundException("path references undefined environment variables: " + list);
	}
	return out;
}


} // namespace Environment


} } // namespace execd::shell
