#include "execd/ModuleContext.h"
#include "config/TrackingConfiguration.h"
#include "Poco/Exception.h"


namespace execd {


TrackingConfiguration::TrackingConfiguration(Poco::AutoPtr<Poco::Util::AbstractConfiguration> pInner,
	const Poco::Util::AbstractConfiguration* pRoot):
	_pInner(pInner),
	_pRoot(pRoot)
{
}


TrackingConfiguration::~TrackingConfiguration() = default;


bool TrackingConfiguration::getRaw(const std::string& key, std::string& value) const
{
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_read.insert(key);
	}
	if (_pInner->has(key))
	{
		value = _pInner->getRawString(key);
		return true;
	}
	if (_pRoot && (key.rfind("application.", 0) == 0 || key.rfind("system.", 0) == 0) && _pRoot->has(key))
	{
		value = _pRoot->getRawString(key);
		return true;
	}
	return false;
}


void TrackingConfiguration::setRaw(const std::string& key, const std::string&)
{
	throw Poco::InvalidAccessException("module configuration is read-only", key);
}


void TrackingConfiguration::enumerate(const std::string& key, Keys& range) const
{
	_pInner->keys(key, range);
}


std::set<std::string> TrackingConfiguration::readKeys() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _read;
}


ModuleContext::ModuleContext(const std::string& name, Poco::AutoPtr<Poco::Util::AbstractConfiguration> pSection,
	ExecutorRegistry& executors, const Poco::Util::AbstractConfiguration* pRoot):
	_name(name),
	_pSection(pSection),
	_pTracking(new TrackingConfiguration(pSection, pRoot)),
	_executors(executors),
	_logger(Poco::Logger::get("execd." + name))
{
}


ModuleContext::~ModuleContext() = default;


const Poco::Util::AbstractConfiguration& ModuleContext::config() const
{
	return *_pTracking;
}


ConfigReader ModuleContext::settings() const
{
	return ConfigReader(*_pTracking, "module." + _name);
}


Poco::Logger& ModuleContext::logger() const
{
	return _logger;
}


ExecutorRegistry& ModuleContext::executors() const
{
	return _executors;
}


const std::string& ModuleContext::name() const
{
	return _name;
}


std::set<std::string> ModuleContext::unreadKeys() const
{
	std::set<std::string> read = static_cast<const TrackingConfiguration*>(_pTracking.get())->readKeys();
	std::set<std::string> unread;
	// Walk the whole section: nested keys ("a.b") count as their full path.
	std::vector<std::string> pending{""};
	while (!pending.empty())
	{
		std::string prefix = pending.back();
		pending.pop_back();
		Poco::Util::AbstractConfiguration::Keys keys;
		_pSection->keys(prefix, keys);
		for (const std::string& k: keys)
		{
			std::string full = prefix.empty() ? k : prefix + "." + k;
			if (_pSection->has(full) && full != "library" && full != "enabled" && !read.count(full))
				unread.insert(full);
			pending.push_back(full);
		}
	}
	return unread;
}


} // namespace execd
