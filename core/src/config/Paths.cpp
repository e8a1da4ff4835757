#include "execd/Paths.h"
#include "execd/ApiException.h"
#include "Poco/Exception.h"
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <set>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>


namespace execd {


namespace {


bool nameStart(char c)
{
	return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}


bool nameChar(char c)
{
	return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}


bool shellSpecial(char c)
{
	return std::isdigit(static_cast<unsigned char>(c)) || std::strchr("*#$@!?-", c) != nullptr;
}


} // namespace


std::string Paths::expand(const std::string& path)
{
	std::string out;
	std::set<std::string> missing;
	out.reserve(path.size());
	for (std::size_t i = 0; i < path.size();)
	{
		char c = path[i];
		if (c != '$' || i + 1 >= path.size())
		{
			out += c;
			++i;
			continue;
		}
		char next = path[i + 1];
		if (next == '{')
		{
			std::size_t close = path.find('}', i + 2);
			if (close == std::string::npos)
			{
				// Go's os.Expand: a "${" without "}" swallows the rest as a bad name.
				i = path.size();
				continue;
			}
			std::string name = path.substr(i + 2, close - i - 2);
			i = close + 1;
			if (name.empty()) continue;
			if (nameStart(name[0]) && std::all_of(name.begin(), name.end(), nameChar))
			{
				const char* value = std::getenv(name.c_str());
				if (value) out += value;
				else missing.insert(name);
			}
			// ${1}, ${@} ... become empty
			continue;
		}
		if (nameStart(next))
		{
			std::size_t end = i + 1;
			while (end < path.size() && nameChar(path[end])) ++end;
			std::string name = path.substr(i + 1, end - i - 1);
			const char* value = std::getenv(name.c_str());
			if (value) out += value;
			else missing.insert(name);
			i = end;
			continue;
		}
		if (shellSpecial(next))
		{
			i += 2;   // $0..$9, $$, $@, $*, $#, $!, $?, $- become empty
			continue;
		}
		out += c;   // a lone '$' stays
		++i;
	}
	if (!missing.empty())
	{
		std::string names;
		for (const std::string& n: missing) names += (names.empty() ? "" : ",") + n;
		throw ApiException::runtimeError("path references undefined environment variables: " + names);
	}
	if (out == "~" || out.rfind("~/", 0) == 0)
	{
		const char* home = std::getenv("HOME");
		if (!home || !*home) throw ApiException::runtimeError("cannot expand ~: $HOME is not set");
		out = std::string(home) + out.substr(1);
	}
	return out;
}


std::string Paths::clean(const std::string& path)
{
	if (path.empty()) return ".";
	const bool rooted = path[0] == '/';
	std::vector<std::string> parts;
	std::size_t i = 0;
	while (i < path.size())
	{
		std::size_t j = path.find('/', i);
		if (j == std::string::npos) j = path.size();
		std::string part = path.substr(i, j - i);
		i = j + 1;
		if (part.empty() || part == ".") continue;
		if (part == "..")
		{
			if (!parts.empty() && parts.back() != "..") parts.pop_back();
			else if (!rooted) parts.push_back("..");
			continue;
		}
		parts.push_back(part);
	}
	std::string out = rooted ? "/" : "";
	for (std::size_t k = 0; k < parts.size(); ++k)
	{
		if (k > 0) out += '/';
		out += parts[k];
	}
	return out.empty() ? "." : out;
}


std::string Paths::absolute(const std::string& path)
{
	std::string expanded = expand(path);
	if (expanded.empty() || expanded[0] != '/')
	{
		char buffer[4096];
		if (!::getcwd(buffer, sizeof(buffer))) throw ApiException::runtimeError(std::string("cannot read the working directory: ") + std::strerror(errno));
		expanded = std::string(buffer) + "/" + expanded;
	}
	return clean(expanded);
}


std::string Paths::baseName(const std::string& path)
{
	std::string p = path;
	while (p.size() > 1 && p.back() == '/') p.pop_back();
	std::size_t slash = p.rfind('/');
	return slash == std::string::npos ? p : p.substr(slash + 1);
}


std::string Paths::dirName(const std::string& path)
{
	std::size_t slash = path.rfind('/');
	if (slash == std::string::npos) return ".";
	if (slash == 0) return "/";
	return clean(path.substr(0, slash));
}

void Paths::checkLimits(const std::string& path, const std::string& errorCode)
{
	if (path.size() > MAX_PATH_BYTES)
		throw ApiException::badRequest("path is too long: " + std::to_string(path.size()) + " bytes, the limit is " + std::to_string(MAX_PATH_BYTES) + " (PATH_MAX)", errorCode);
	std::size_t components = 0;
	for (std::size_t i = 0; i < path.size(); ++i)
		if (path[i] != '/' && (i == 0 || path[i - 1] == '/')) ++components;
	if (components > MAX_PATH_COMPONENTS)
		throw ApiException::badRequest("path is too deep: " + std::to_string(components) + " components, the limit is " + std::to_string(MAX_PATH_COMPONENTS), errorCode);
}


std::vector<std::string> Paths::createDirectories(const std::string& path, mode_t mode)
{
	checkLimits(path);
	// The end of each component, so that path.substr(0, ends[k]) is the k-th prefix
	// with the separators as given.
	std::vector<std::size_t> ends;
	for (std::size_t i = 0; i < path.size(); ++i)
		if (path[i] != '/' && (i + 1 == path.size() || path[i + 1] == '/')) ends.push_back(i + 1);
	// Up from the whole path to the deepest prefix that exists ...
	std::size_t missing = ends.size();
	while (missing > 0)
	{
		std::string prefix = path.substr(0, ends[missing - 1]);
		struct stat st;
		if (::stat(prefix.c_str(), &st) == 0)
		{
			if (!S_ISDIR(st.st_mode)) throw Poco::FileException(errorText(ENOTDIR, "mkdir", prefix), ENOTDIR);
			break;
		}
		--missing;
	}
	// ... then down, creating the rest. EEXIST is a concurrent mkdir that won.
	std::vector<std::string> created;
	for (std::size_t k = missing; k < ends.size(); ++k)
	{
		std::string prefix = path.substr(0, ends[k]);
		if (::mkdir(prefix.c_str(), mode) == 0)
		{
			created.push_back(prefix);
		}
		else if (errno != EEXIST)
		{
			int error = errno;
			throw Poco::FileException(errorText(error, "mkdir", prefix), error);
		}
	}
	return created;
}


std::string Paths::errorText(int error, const std::string& op, const std::string& path)
{
	std::string text = std::strerror(error);
	if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
	return op + " " + path + ": " + text;
}


std::string Paths::findExecutable(const std::string& name, const std::vector<std::string>& alsoTry)
{
	auto executable = [](const std::string& candidate)
	{
		struct stat st;
		return ::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0;
	};
	const char* path = std::getenv("PATH");
	const std::string dirs = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";
	std::size_t start = 0;
	while (start <= dirs.size())
	{
		std::size_t end = dirs.find(':', start);
		if (end == std::string::npos) end = dirs.size();
		std::string dir = dirs.substr(start, end - start);
		std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
		if (executable(candidate)) return candidate;
		start = end + 1;
	}
	for (const std::string& candidate: alsoTry)
	{
		if (executable(candidate)) return candidate;
	}
	return std::string();
}


std::string Paths::findShell()
{
	std::string bash = findExecutable("bash", {"/bin/bash"});
	if (!bash.empty()) return bash;
	std::string sh = findExecutable("sh", {"/bin/sh"});
	return sh.empty() ? std::string("/bin/sh") : sh;
}


std::string Paths::shellQuote(const std::string& text)
{
	std::string out = "'";
	for (char c: text)
	{
		if (c == '\'')
			out += "'\\''";
		else
			out += c;
	}
	return out + "'";
}


bool Paths::isBash(const std::string& shell)
{
	std::size_t slash = shell.rfind('/');
	return shell.compare(slash == std::string::npos ? 0 : slash + 1, 4, "bash") == 0;
}


} // namespace execd
