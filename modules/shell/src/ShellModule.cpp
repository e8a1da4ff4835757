#include "execd/Module.h"
#include "Poco/ClassLibrary.h"


namespace execd {
namespace shell {


class ShellModule: public Module
	/// Shell commands (foreground and background), bash sessions and the stateful bash language.
	/// Its endpoints and executors come with the shell issue (#3).
	/// It has no settings yet; unknown module.shell.* keys are reported at startup.
{
public:
	std::string name() const override
	{
		return "shell";
	}

	void configure(ModuleContext&) override
	{
	}
};


} } // namespace execd::shell


POCO_BEGIN_MANIFEST(execd::Module)
	POCO_EXPORT_CLASS(execd::shell::ShellModule)
POCO_END_MANIFEST
