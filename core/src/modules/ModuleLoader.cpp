#include "modules/ModuleLoader.h"
#include "execd/ApiException.h"
#include "execd/ConfigReader.h"
#include "Poco/File.h"
#include "Poco/Path.h"
#include "Poco/SharedLibrary.h"
#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>


namespace execd {


ModuleLoader::ModuleLoader(Router& router, ExecutorRegistry& executors):
	_router(router),
	_executors(executors),
	_logger(Poco::Logger::get("execd.modules"))
{
}


ModuleLoader::~ModuleLoader()
{
	try
	{
		shutdown();
		unload();
	}
	catch (...)
	{
	}
}


std::string ModuleLoader::libraryPath(const std::string& directory, const std::string& library)
{
	Poco::Path path(library);
	if (path.isAbsolute()) return path.toString();
	Poco::Path dir(directory);
	dir.makeDirectory();
	return dir.resolve(path).toString();
}


void ModuleLoader::load(Poco::Util::AbstractConfiguration& config, const std::string& defaultDropIn)
{
	ConfigReader core(config, "");
	std::vector<std::string> names = core.getList("execd.modules.load", {"jupyter", "shell", "files", "metrics", "proxy", "pty", "java", "go", "isolation"});
	std::string directory = config.expand(core.getString("execd.modules.path", "${application.dir}../lib/execd"));
	std::string dropInDirectory = config.has("execd.modules.dropIn") ? config.expand(core.getString("execd.modules.dropIn", "")) : defaultDropIn;
	for (const std::string& name: names)
	{
		if (std::count(names.begin(), names.end(), name) > 1)
			throw ConfigurationException("execd.modules.load: module '" + name + "' is listed twice");
		checkName(name);
	}
	std::map<std::string, std::string> dropIns = findDropIns(dropInDirectory);
	for (const auto& dropIn: dropIns)
	{
		if (std::find(names.begin(), names.end(), dropIn.first) == names.end())
			names.push_back(dropIn.first);
	}

	for (const std::string& name: names)
	{
		Poco::AutoPtr<Poco::Util::AbstractConfiguration> pView(config.createView("module." + name));
		ConfigReader section(*pView, "module." + name);
		if (!section.getBool("enabled", true))
		{
			_logger.information("module '%s' is disabled (module.%s.enabled)", name, name);
			continue;
		}
		std::string library;
		auto dropIn = dropIns.find(name);
		if (pView->has("library") || dropIn == dropIns.end())
			library = libraryPath(directory, section.getString("library", "libexecd_" + name + Poco::SharedLibrary::suffix()));
		else
			library = dropIn->second;
		loadOne(config, name, library);
	}

	// A section for a module that is not loaded is almost always a typo.
	Poco::Util::AbstractConfiguration::Keys sections;
	config.keys("module", sections);
	for (const std::string& s: sections)
	{
		if (std::find(names.begin(), names.end(), s) == names.end())
			_logger.warning("module.%s.* is configured, but module '%s' is not in execd.modules.load", s, s);
	}
}


bool ModuleLoader::isName(const std::string& name)
{
	if (name.empty()) return false;
	for (char c: name)
	{
		if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_' || c == '-'))
			return false;
	}
	return true;
}


void ModuleLoader::checkName(const std::string& name)
{
	if (!isName(name))
		throw ConfigurationException("execd.modules.load: '" + name + "' is not a module name (lowercase letters, digits, '_', '-')");
}


std::map<std::string, std::string> ModuleLoader::findDropIns(const std::string& directory) const
{
	std::map<std::string, std::string> found;
	if (directory.empty()) return found;
	struct stat st;
	if (::stat(directory.c_str(), &st) != 0)
	{
		if (errno == ENOENT || errno == ENOTDIR) return found;
		throw ConfigurationException("execd.modules.dropIn: cannot read " + directory + ": " + std::strerror(errno));
	}
	if (!S_ISDIR(st.st_mode))
		throw ConfigurationException("execd.modules.dropIn: " + directory + " is not a directory");
	char resolved[PATH_MAX];
	if (!::realpath(directory.c_str(), resolved))
		throw ConfigurationException("execd.modules.dropIn: cannot resolve " + directory + ": " + std::strerror(errno));
	checkPath(resolved);

	// Every file in it, not only the modules: a module's own libraries sit next
	// to it ($ORIGIN) and are loaded as its code too.
	const std::string prefix = "libexecd_";
	const std::string suffix = Poco::SharedLibrary::suffix();
	std::vector<std::string> entries;
	Poco::File(resolved).list(entries);
	std::sort(entries.begin(), entries.end());
	for (const std::string& entry: entries)
	{
		std::string path = libraryPath(resolved, entry);
		if (::lstat(path.c_str(), &st) != 0)
			throw ConfigurationException("execd.modules.dropIn: cannot read " + path + ": " + std::strerror(errno));
		if (S_ISLNK(st.st_mode))
			throw ConfigurationException("execd.modules.dropIn: " + path + " is a symbolic link; put the file itself there "
				"(execd checks who can change what it loads)");
		checkSafe(path, st, false);
		if (!S_ISREG(st.st_mode) || entry.size() <= prefix.size() + suffix.size() || entry.compare(0, prefix.size(), prefix) != 0
			|| entry.compare(entry.size() - suffix.size(), suffix.size(), suffix) != 0)
			continue;
		std::string name = entry.substr(prefix.size(), entry.size() - prefix.size() - suffix.size());
		if (!isName(name))
		{
			_logger.warning("execd.modules.dropIn: ignoring %s ('%s' is not a module name: lowercase letters, digits, '_', '-')", path, name);
			continue;
		}
		found[name] = path;
	}
	return found;
}


void ModuleLoader::checkPath(const std::string& resolved)
{
	// As OpenSSH's StrictModes: the directory and each one above it, up to /,
	// or whoever may change one of them could put other code in its place.
	// A sticky directory above (/tmp) keeps others from renaming what is ours.
	std::string path = resolved;
	for (bool first = true;; first = false)
	{
		struct stat st;
		if (::lstat(path.c_str(), &st) != 0)
			throw ConfigurationException("execd.modules.dropIn: cannot read " + path + ": " + std::strerror(errno));
		checkSafe(path, st, !first);
		if (path == "/") break;
		std::size_t slash = path.rfind('/');
		path = slash == 0 ? std::string("/") : path.substr(0, slash);
	}
}


void ModuleLoader::checkSafe(const std::string& path, const struct stat& st, bool stickyWritable)
{
	// execd runs a drop-in's code with its own rights (root, as a rule): no one
	// else may have put it there or be able to change it.
	if (st.st_uid != 0 && st.st_uid != ::geteuid())
		throw ConfigurationException("execd.modules.dropIn: " + path + " belongs to uid " + std::to_string(st.st_uid)
			+ ", not to root or execd's user; execd does not load code that others can change");
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(stickyWritable && S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX)))
		throw ConfigurationException("execd.modules.dropIn: " + path + " is writable by group or others (chmod go-w)"
			"; execd does not load code that others can change");
}


void ModuleLoader::loadOne(Poco::Util::AbstractConfiguration& config, const std::string& name, const std::string& library)
{
	if (!Poco::File(library).exists())
		throw Poco::FileNotFoundException("module '" + name + "': library " + library + " does not exist (set module." + name + ".library or execd.modules.path)");

	try
	{
		_loader.loadLibrary(library);
	}
	catch (Poco::LibraryLoadException& exc)
	{
		const char* pDetail = dlerror();
		throw Poco::LibraryLoadException("module '" + name + "': cannot load " + library + ": " + exc.message()
			+ (pDetail ? std::string(" (") + pDetail + ")" : std::string()));
	}
	catch (Poco::Exception& exc)
	{
		throw Poco::LibraryLoadException("module '" + name + "': cannot load " + library + ": " + exc.displayText());
	}
	if (std::find(_libraries.begin(), _libraries.end(), library) == _libraries.end())
		_libraries.push_back(library);

	const Poco::ClassLoader<Module>::Manif* pManifest = _loader.findManifest(library);
	std::vector<std::unique_ptr<Module>> created;
	std::vector<std::string> provided;
	if (pManifest)
	{
		for (auto it = pManifest->begin(); it != pManifest->end(); ++it)
		{
			std::unique_ptr<Module> pModule((*it)->create());
			provided.push_back(pModule->name());
			if (pModule->name() == name) created.push_back(std::move(pModule));
		}
	}
	if (created.empty())
	{
		std::string list;
		for (const std::string& p: provided) list += (list.empty() ? "" : ", ") + p;
		throw Poco::NotFoundException("module '" + name + "': " + library + " provides no module of that name"
			+ (list.empty() ? std::string() : " (it provides: " + list + ")"));
	}

	std::unique_ptr<Module> pModule = std::move(created.front());
	if (pModule->apiVersion() != MODULE_API_VERSION)
	{
		throw Poco::LibraryLoadException("module '" + name + "': " + library + " was built for module API version "
			+ std::to_string(pModule->apiVersion()) + ", this execd has version " + std::to_string(MODULE_API_VERSION) + "; rebuild it");
	}

	Poco::AutoPtr<Poco::Util::AbstractConfiguration> pSection(config.createView("module." + name));
	auto pContext = std::make_unique<ModuleContext>(name, pSection, _executors, &config);
	try
	{
		pModule->configure(*pContext);
	}
	catch (ConfigurationException&)
	{
		throw;
	}
	catch (Poco::Exception& exc)
	{
		throw ConfigurationException("module '" + name + "': " + exc.displayText());
	}
	catch (std::exception& exc)
	{
		throw ConfigurationException("module '" + name + "': " + std::string(exc.what()));
	}
	for (const std::string& key: pContext->unreadKeys())
		_logger.warning("unknown setting module.%s.%s (module '%s' does not read it)", name, key, name);

	// Keep the module before registering, so that whatever happens next it is
	// shut down and destroyed before its library goes.
	_modules.push_back(Loaded{library, std::move(pContext), std::move(pModule)});
	Module& module = *_modules.back().pModule;
	for (const Route& route: module.routes())
		_router.add(route, name);
	for (const ExecutorBinding& binding: module.executors())
		_executors.add(binding, name);
	_logger.information("loaded module '%s' from %s", name, library);
}


void ModuleLoader::start()
{
	for (Loaded& loaded: _modules)
		loaded.pModule->start();
}


void ModuleLoader::shutdown()
{
	if (_shutDown) return;
	_shutDown = true;
	for (auto it = _modules.rbegin(); it != _modules.rend(); ++it)
	{
		try
		{
			it->pModule->shutdown();
		}
		catch (std::exception& exc)
		{
			_logger.error("module '%s' failed to shut down: %s", it->pModule->name(), std::string(exc.what()));
		}
	}
}


void ModuleLoader::unload()
{
	// Routes and executor bindings point into module code: forget them first.
	_router.clear();
	_executors.clear();
	while (!_modules.empty())
	{
		_modules.pop_back();   // module, then its context
	}
	for (auto it = _libraries.rbegin(); it != _libraries.rend(); ++it)
	{
		try
		{
			_loader.unloadLibrary(*it);
		}
		catch (Poco::Exception&)
		{
		}
	}
	_libraries.clear();
}


std::vector<std::string> ModuleLoader::names() const
{
	std::vector<std::string> result;
	for (const Loaded& loaded: _modules)
		result.push_back(loaded.pModule->name());
	return result;
}


} // namespace execd
