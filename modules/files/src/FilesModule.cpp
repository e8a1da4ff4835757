#include "FileHandlers.h"
#include "execd/Module.h"
#include "Poco/ClassLibrary.h"


namespace execd {
namespace files {


class FilesModule: public Module
	/// The filesystem API: /files and /directories.
	/// It has no settings; unknown module.files.* keys are reported at startup.
{
public:
	std::string name() const override
	{
		return "files";
	}

	void configure(ModuleContext&) override
	{
	}

	std::vector<Route> routes() override
	{
		return fileRoutes();
	}
};


} } // namespace execd::files


POCO_BEGIN_MANIFEST(execd::Module)
	POCO_EXPORT_CLASS(execd::files::FilesModule)
POCO_END_MANIFEST
