#include "config/CommandLine.h"
#include "execd/ConfigReader.h"
#include "Poco/Exception.h"
#include "Poco/NumberParser.h"
#include "Poco/String.h"
#include <algorithm>


namespace execd {


namespace {


struct Flag
{
	const char* name;
	const char* key;      ///< configuration key; "" = handled specially
	const char* kind;     ///< "int", "string", "duration", "loglevel", "bool"
	const char* help;
	const char* variable; ///< upstream's environment variable for it; "" = none
	bool secret;          ///< its value is hidden from /proc (argv, environ)
};


const Flag FLAGS[] = {
	{"port", "execd.port", "int", "listen port (default 44772)", "", false},
	{"log-level", "execd.logLevel", "loglevel", "0-7: <=2 fatal, 3 error, 4 warning, 5-6 info, 7 debug (default 6)", "", false},
	{"access-token", "execd.accessToken", "string", "require this token in X-EXECD-ACCESS-TOKEN (env EXECD_ACCESS_TOKEN)",
		"EXECD_ACCESS_TOKEN", true},
	{"jupyter-host", "module.jupyter.host", "string", "external Jupyter server URL, http(s)://host:port (env JUPYTER_HOST)",
		"JUPYTER_HOST", false},
	{"jupyter-token", "module.jupyter.token", "string", "token of that Jupyter server (env JUPYTER_TOKEN)", "JUPYTER_TOKEN", true},
	{"graceful-shutdown-timeout", "execd.gracefulShutdownTimeoutMillis", "duration",
		"how long shutdown waits for open streams, e.g. 1s, 500ms (env EXECD_API_GRACE_SHUTDOWN; default 1s)", "EXECD_API_GRACE_SHUTDOWN", false},
	{"jupyter-idle-poll-interval", "module.jupyter.idlePollIntervalMillis", "duration",
		"accepted for compatibility (env EXECD_JUPYTER_IDLE_POLL_INTERVAL)", "EXECD_JUPYTER_IDLE_POLL_INTERVAL", false},
	{"isolation-config", "module.isolation.config", "string", "isolated sessions' TOML file (env EXECD_ISOLATION_CONFIG)",
		"EXECD_ISOLATION_CONFIG", false},
	{"config", "", "string", "properties file (env EXECD_CONFIG; default <prefix>/etc/execd.properties if present)", "", false},
	{"init", "", "bool", "run as the sandbox's init: execd --init -- entrypoint args... (bootstrap.sh with EXECD_INIT=1)", "", false},
	{"define", "", "string", "set any configuration key: --define key=value (repeatable; short -D key=value)", "", false},
};


const Flag* findFlag(const std::string& name)
{
	for (const Flag& f: FLAGS)
	{
		if (name == f.name) return &f;
	}
	return nullptr;
}


std::string normalise(const Flag& flag, const std::string& value, const std::string& source)
{
	std::string kind = flag.kind;
	if (kind == "int")
	{
		int n = 0;
		if (!Poco::NumberParser::tryParse(Poco::trim(value), n) || n < 0 || n > 65535)
			throw CommandLine::Error{"invalid value \"" + value + "\" for " + source + ": must be an integer in 0..65535"};
		return std::to_string(n);
	}
	if (kind == "loglevel")
	{
		// Any integer, as upstream: <= 2 fatal ... >= 7 debug.
		int n = 0;
		if (!Poco::NumberParser::tryParse(Poco::trim(value), n))
			throw CommandLine::Error{"invalid value \"" + value + "\" for " + source + ": must be an integer (0-7)"};
		return std::to_string(std::min(7, std::max(0, n)));
	}
	if (kind == "duration")
	{
		try
		{
			return std::to_string(ConfigReader::parseDurationMillis(value));
		}
		catch (Poco::SyntaxException&)
		{
			throw CommandLine::Error{"invalid value \"" + value + "\" for " + source + ": not a duration (e.g. 1s, 500ms, 1m30s)"};
		}
	}
	return value;
}


} // namespace


void CommandLine::set(const std::string& name, const std::string& value)
{
	if (name == "config")
	{
		_configFile = value;
		return;
	}
	if (name == "init")
	{
		// Go's flag.ParseBool.
		static const std::vector<std::string> yes{"1", "t", "T", "true", "TRUE", "True"};
		static const std::vector<std::string> no{"0", "f", "F", "false", "FALSE", "False"};
		if (std::find(yes.begin(), yes.end(), value) != yes.end()) _init = true;
		else if (std::find(no.begin(), no.end(), value) != no.end()) _init = false;
		else throw Error{"invalid boolean value \"" + value + "\" for -init: parse error"};
		return;
	}
	if (name == "define")
	{
		std::size_t eq = value.find('=');
		if (eq == std::string::npos || eq == 0)
			throw Error{"invalid value \"" + value + "\" for -define: expected key=value"};
		_settings[Poco::trim(value.substr(0, eq))] = value.substr(eq + 1);
		return;
	}
	const Flag* pFlag = findFlag(name);
	_settings[pFlag->key] = normalise(*pFlag, value, "flag -" + name);
}


void CommandLine::parse(const std::vector<std::string>& args)
{
	for (std::size_t i = 0; i < args.size(); ++i)
	{
		const std::string& arg = args[i];
		// As Go's flag package: the first argument that is not a flag ends the
		// flags ("-" is not a flag; "--" ends them and is dropped), and the rest
		// are positional. OpenSandbox's image build runs "execd tail -f /dev/null".
		if (arg.size() < 2 || arg[0] != '-' || arg == "--")
		{
			_positional.assign(args.begin() + static_cast<std::ptrdiff_t>(arg == "--" ? i + 1 : i), args.end());
			break;
		}
		std::string body = arg.substr(arg[1] == '-' ? 2 : 1);
		std::string name = body;
		std::string value;
		bool hasValue = false;
		std::size_t eq = body.find('=');
		if (eq != std::string::npos)
		{
			name = body.substr(0, eq);
			value = body.substr(eq + 1);
			hasValue = true;
		}
		if (name == "h" || name == "help")
		{
			_help = true;
			continue;
		}
		if (name == "D") name = "define";
		if (!findFlag(name))
			throw Error{"flag provided but not defined: -" + name};
		if (!hasValue && std::string(findFlag(name)->kind) == "bool")
		{
			// A boolean flag takes no separate argument, as in Go: "-init" alone.
			value = "true";
			hasValue = true;
		}
		if (!hasValue)
		{
			if (i + 1 >= args.size())
				throw Error{"flag needs an argument: -" + name};
			value = args[++i];
		}
		set(name, value);
	}
}


const std::map<std::string, std::string>& CommandLine::settings() const
{
	return _settings;
}


const std::vector<std::string>& CommandLine::positional() const
{
	return _positional;
}


const std::string& CommandLine::configFile() const
{
	return _configFile;
}


bool CommandLine::help() const
{
	return _help;
}


bool CommandLine::init() const
{
	return _init;
}


std::vector<std::string> CommandLine::secretFlags()
{
	std::vector<std::string> names;
	for (const Flag& f: FLAGS)
	{
		if (f.secret) names.push_back(f.name);
	}
	return names;
}


std::vector<std::string> CommandLine::secretVariables()
{
	std::vector<std::string> names;
	for (const Flag& f: FLAGS)
	{
		if (f.secret && *f.variable) names.push_back(f.variable);
	}
	return names;
}


bool CommandLine::isSecretKey(const std::string& key)
{
	for (const Flag& f: FLAGS)
	{
		if (f.secret && key == f.key) return true;
	}
	// Any other token a -D may set (a module's own, say).
	return key.find("token") != std::string::npos || key.find("Token") != std::string::npos;
}


std::map<std::string, std::string> CommandLine::fromEnvironment(const std::map<std::string, std::string>& environment)
{
	std::map<std::string, std::string> result;
	auto get = [&environment](const char* name) -> std::string
	{
		auto it = environment.find(name);
		return it == environment.end() ? std::string() : it->second;
	};
	for (const Flag& f: FLAGS)
	{
		// The plain strings; the host is checked and the durations parsed below.
		if (*f.variable && std::string(f.kind) == "string" && std::string(f.name) != "jupyter-host" && !get(f.variable).empty())
			result[f.key] = get(f.variable);
	}
	std::string host = get("JUPYTER_HOST");
	if (!host.empty())
	{
		if (host.rfind("http://", 0) != 0 && host.rfind("https://", 0) != 0)
			throw Error{"invalid JUPYTER_HOST \"" + host + "\": must start with http:// or https://"};
		result["module.jupyter.host"] = host;
	}
	if (!get("EXECD_API_GRACE_SHUTDOWN").empty())
		result["execd.gracefulShutdownTimeoutMillis"] = normalise(*findFlag("graceful-shutdown-timeout"), get("EXECD_API_GRACE_SHUTDOWN"), "EXECD_API_GRACE_SHUTDOWN");
	if (!get("EXECD_JUPYTER_IDLE_POLL_INTERVAL").empty())
		result["module.jupyter.idlePollIntervalMillis"] = normalise(*findFlag("jupyter-idle-poll-interval"), get("EXECD_JUPYTER_IDLE_POLL_INTERVAL"), "EXECD_JUPYTER_IDLE_POLL_INTERVAL");
	if (!get("EXECD_LOG_FILE").empty())
		result["execd.logFile"] = get("EXECD_LOG_FILE");
	if (!get("OPENSANDBOX_LOG_OUTPUT").empty())
		result["execd.logOutput"] = get("OPENSANDBOX_LOG_OUTPUT");
	return result;
}


std::string CommandLine::usage(const std::string& program)
{
	std::string text = "Usage: " + program + " [flags]\n\n"
		"execd runs code, commands and file operations for OpenSandbox clients over HTTP.\n"
		"Flags take the forms -name=value, --name=value, -name value and --name value.\n\n";
	for (const Flag& f: FLAGS)
	{
		std::string kind = f.kind;
		std::string left = std::string("  --") + f.name + (kind == "bool" ? "" : " " + (kind == "string" || kind == "duration" ? kind : std::string("int")));
		if (left.size() < 40) left.append(40 - left.size(), ' ');
		else left += "\n" + std::string(40, ' ');
		text += left + f.help + "\n";
	}
	text += "  -h, --help                            show this help\n\n"
		"Precedence: flag > environment > properties file > built-in default.\n";
	return text;
}


} // namespace execd
