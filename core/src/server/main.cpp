#include "process/Clone3Compat.h"
#include "config/CommandLine.h"
#include "server/ExecdServer.h"
#include <cerrno>
#include <csignal>
#include <cstring>
#include <iostream>
#include <malloc.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/resource.h>


extern char** environ;


namespace {


// Overwrites the values of secret flags in our own argv, so that they do not
// show in /proc/<pid>/cmdline (readable by every process in the sandbox).
void scrubSecrets(int argc, char** argv)
{
	const std::vector<std::string> secrets = execd::CommandLine::secretFlags();
	for (int i = 1; i < argc; ++i)
	{
		char* arg = argv[i];
		char* body = arg;
		while (*body == '-') ++body;
		if (body == arg) continue;
		for (const std::string& secret: secrets)
		{
			std::size_t n = secret.size();
			if (std::strncmp(body, secret.c_str(), n) != 0) continue;
			if (body[n] == '=')
				std::memset(body + n + 1, 'x', std::strlen(body + n + 1));
			else if (body[n] == '\0' && i + 1 < argc)
				std::memset(argv[i + 1], 'x', std::strlen(argv[i + 1]));
		}
		// -D execd.accessToken=..., --define=module.jupyter.token=...
		char* value = nullptr;
		if (std::strcmp(body, "D") == 0 || std::strcmp(body, "define") == 0)
			value = i + 1 < argc ? argv[i + 1] : nullptr;
		else if (std::strncmp(body, "D=", 2) == 0 || std::strncmp(body, "define=", 7) == 0)
			value = std::strchr(body, '=') + 1;
		if (value)
		{
			char* eq = std::strchr(value, '=');
			std::string key(value, eq ? static_cast<std::size_t>(eq - value) : std::strlen(value));
			if (eq && execd::CommandLine::isSecretKey(key))
				std::memset(eq + 1, 'x', std::strlen(eq + 1));
		}
	}
}


void scrubVariable(const char* name)
	// Overwrites the value of the variable in place (the initial environment's
	// strings are what /proc/<pid>/environ shows).
{
	std::size_t n = std::strlen(name);
	for (char** e = environ; *e; ++e)
	{
		if (std::strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			std::memset(*e + n + 1, 'x', std::strlen(*e + n + 1));
	}
}


void prepareProcess()
	/// Before any thread exists: the signal mask every later thread inherits, so
	/// that SIGTERM/SIGINT reach waitForTerminationRequest() and not a worker
	/// thread; SIGPIPE ignored; malloc arenas; the descriptor limit.
{
	sigset_t signals;
	sigemptyset(&signals);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGQUIT);
	pthread_sigmask(SIG_BLOCK, &signals, nullptr);
	std::signal(SIGPIPE, SIG_IGN);   // a client that hangs up must not kill us
	mallopt(M_ARENA_MAX, 2);         // thousands of threads, not thousands of arenas

	// Every connection is a descriptor; the common soft limit of 1024 would cap
	// execd far below its thread pool. (Go does the same at startup.)
	struct rlimit files;
	if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max)
	{
		files.rlim_cur = files.rlim_max;
		::setrlimit(RLIMIT_NOFILE, &files);
	}
}


int parseCommandLine(int argc, char** argv, execd::CommandLine& commandLine, std::map<std::string, std::string>& environment)
	/// -1 to go on, else the exit status (after --help, or a usage error).
{
	try
	{
		commandLine.parse(std::vector<std::string>(argv + 1, argv + argc));
		if (commandLine.help())
		{
			std::cout << execd::CommandLine::usage(argv[0]);
			return 0;
		}
		std::map<std::string, std::string> env;
		for (char** e = environ; *e; ++e)
		{
			const char* eq = std::strchr(*e, '=');
			if (eq) env[std::string(*e, static_cast<std::size_t>(eq - *e))] = eq + 1;
		}
		environment = execd::CommandLine::fromEnvironment(env);
		return -1;
	}
	catch (execd::CommandLine::Error& error)
	{
		std::cerr << error.message << "\n\n" << execd::CommandLine::usage(argv[0]);
		return 2;
	}
}


void prepareMode(const execd::CommandLine& commandLine)
{
	if (commandLine.init())
	{
		// Still single-threaded: every later thread inherits this mask, so that
		// the signals init mode forwards or acts on reach the main thread's
		// sigwait (InitSupervisor) and nothing else. Non-dumpable: no process in
		// the sandbox may ptrace us or read our memory and environment in /proc.
		sigset_t init;
		sigemptyset(&init);
		for (int sig: {SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH, SIGCHLD})
			sigaddset(&init, sig);
		pthread_sigmask(SIG_BLOCK, &init, nullptr);
		if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
			std::cerr << "execd: cannot mark the process non-dumpable: " << std::strerror(errno) << std::endl;
	}
	else if (!commandLine.positional().empty())
	{
		std::string ignored;
		for (const std::string& arg: commandLine.positional()) ignored += (ignored.empty() ? "" : " ") + arg;
		std::cerr << "execd: ignoring arguments after the flags: " << ignored << std::endl;
	}
}


} // namespace


int main(int argc, char** argv)
{
	// First of all, before any thread exists: the clone3 filter (TSYNC covers the
	// rest anyway), then the signal mask that every later thread inherits.
	bool clone3Active = execd::applyClone3Compat(argv) != 0;

	// Set by dist/execd's launcher (launcher/launcher.c): the file that was
	// started, whose directory holds the drop-in modules. Not for children.
	std::string launcher;
	if (const char* pLauncher = std::getenv("EXECD_LAUNCHER"))
	{
		launcher = pLauncher;
		::unsetenv("EXECD_LAUNCHER");
	}
	prepareProcess();

	execd::CommandLine commandLine;
	std::map<std::string, std::string> environment;
	int status = parseCommandLine(argc, argv, commandLine, environment);
	if (status >= 0) return status;
	prepareMode(commandLine);
	scrubSecrets(argc, argv);
	// Children inherit the environment: the tokens stay with us (both were read
	// into the settings above). unsetenv() alone would leave the strings where
	// /proc/<pid>/environ reads them, for every process in the sandbox to see.
	for (const std::string& name: execd::CommandLine::secretVariables())
	{
		scrubVariable(name.c_str());
		::unsetenv(name.c_str());
	}

	execd::ExecdServer server(std::move(commandLine), std::move(environment), clone3Active, launcher);
	char* appArgv[] = {argv[0], nullptr};
	return server.run(1, appArgv);
}
