#pragma once

#include "execd/ConfigReader.h"
#include "execd/ExecutorRegistry.h"
#include "Poco/AutoPtr.h"
#include "Poco/Logger.h"
#include "Poco/Util/AbstractConfiguration.h"
#include <set>
#include <string>


namespace execd {


class EXECD_API ModuleContext
	/// What the core gives a module: its configuration section, its logger and the
	/// executor registry. Outlives the module.
{
public:
	ModuleContext(const std::string& name, Poco::AutoPtr<Poco::Util::AbstractConfiguration> pSection,
		ExecutorRegistry& executors, const Poco::Util::AbstractConfiguration* pRoot = nullptr);
		/// pSection is the configuration rooted at "module.<name>"; pRoot, when
		/// given, resolves ${application.*} and ${system.*} in its values.
	~ModuleContext();

	const Poco::Util::AbstractConfiguration& config() const;
		/// The section "module.<name>", e.g. config().getString("host").
		/// Keys a module reads during configure() count as known; the core warns
		/// about every other key in the section.

	ConfigReader settings() const;
		/// Typed access to config() with errors that name the full key.

	Poco::Logger& logger() const;
		/// The logger "execd.<name>".

	ExecutorRegistry& executors() const;
		/// Every executor, for lookups at request time.

	const std::string& name() const;

	std::set<std::string> unreadKeys() const;
		/// Keys of the section that nobody has read, apart from the core's own
		/// ("library", "enabled").

private:
	std::string _name;
	Poco::AutoPtr<Poco::Util::AbstractConfiguration> _pSection;
	Poco::AutoPtr<Poco::Util::AbstractConfiguration> _pTracking;
	ExecutorRegistry& _executors;
	Poco::Logger& _logger;
};


} // namespace execd
