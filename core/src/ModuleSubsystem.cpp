#include "ModuleSubsystem.h"
#include "execd/ApiException.h"
#include "execd/ConfigReader.h"
#include "Poco/File.h"
#include "Poco/Path.h"
#include "Poco/SharedLibrary.h"
#include <algorithm>
#include <dlfcn.h>


namespace execd {


ModuleSubsystem::ModuleSubsystem(Router& router, ExecutorRegistry& executors):
	_router(router),
	_executors(executors),
	_logger(Poco::Logger::get("execd.modules"))
{
}


ModuleSubsystem::~ModuleSubsystem()
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


std::string ModuleSubsystem::libraryPath(const std::string& directory, const std::string& library)
{
	Poco::Path path(library);
	if (path.isAbsolute()) return path.toString();
	Poco::Path dir(directory);
	dir.makeDirectory();
	return dir.resolve(path).toString();
}


void ModuleSubsystem::load(Poco::Util::AbstractConfiguration& config)
{
	ConfigReader core(config, "");
	std::vector<std::string> names = core.getList("execd.modules.load", {"jupyter", "shell", "files", "metrics", "proxy", "pty", "java", "go"});
	std::string directory = config.expand(core.getString("execd.modules.path", "${application.dir}../lib/execd"));
	for (const std::string& name: names)
	{
		if (std::count(names.begin(), names.end(), name) > 1)
			throw ConfigurationException("execd.modules.load: module '" + name + "' is listed twice");
		Poco::AutoPtr<Poco::Util::AbstractConfiguration> pView(config.createView("module." + name));
		ConfigReader section(*pView, "module." + name);
		if (!section.getBool("enabled", true))
		{
			_logger.information("module '%s' is disabled (module.%s.enabled)", name, name);
			continue;
		}
		loadOne(config, name, directory);
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


void ModuleSubsystem::loadOne(Poco::Util::AbstractConfiguration& config, const std::string& name, const std::string& directory)
{
	for (char c: name)
	{
		if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_' || c == '-'))
			throw ConfigurationException("execd.modules.load: '" + name + "' is not a module name (lowercase letters, digits, '_', '-')");
	}
	Poco::AutoPtr<Poco::Util::AbstractConfiguration> pView(config.createView("module." + name));
	ConfigReader section(*pView, "module." + name);
	std::string library = libraryPath(directory, section.getString("library", "libexecd_" + name + Poco::SharedLibrary::suffix()));
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


void ModuleSubsystem::start()
{
	for (Loaded& loaded: _modules)
		loaded.pModule->start();
}


void ModuleSubsystem::shutdown()
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


void ModuleSubsystem::unload()
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


std::vector<std::string> ModuleSubsystem::names() const
{
	std::vector<std::string> result;
	for (const Loaded& loaded: _modules)
		result.push_back(loaded.pModule->name());
	return result;
}


} // namespace execd
