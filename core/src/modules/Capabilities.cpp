#include "execd/Capabilities.h"


namespace execd {


Capabilities& Capabilities::instance()
{
	static Capabilities capabilities;
	return capabilities;
}


void Capabilities::setLimit(const std::string& name, const Poco::Dynamic::Var& value)
{
	std::lock_guard<std::mutex> lock(_mutex);
	_limits[name] = value;
}


void Capabilities::setFeature(const std::string& name, bool enabled)
{
	std::lock_guard<std::mutex> lock(_mutex);
	_features[name] = enabled;
}


std::map<std::string, Poco::Dynamic::Var> Capabilities::limits() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _limits;
}


std::map<std::string, bool> Capabilities::features() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _features;
}


void Capabilities::clear()
{
	std::lock_guard<std::mutex> lock(_mutex);
	_limits.clear();
	_features.clear();
}


} // namespace execd
