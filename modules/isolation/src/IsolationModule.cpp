#include "IsolationModule.h"
#include "Poco/ClassLibrary.h"


namespace execd {
namespace isolation {


std::string IsolationModule::name() const
{
	return "isolation";
}


void IsolationModule::configure(ModuleContext&)
{
}


void IsolationModule::start()
{
	_capabilities = BwrapProbe::run();
}


const Capabilities& IsolationModule::capabilities() const
{
	return _capabilities;
}


} } // namespace execd::isolation


POCO_BEGIN_MANIFEST(execd::Module)
	POCO_EXPORT_CLASS(execd::isolation::IsolationModule)
POCO_END_MANIFEST
