#include "FileHandlers.h"
#include "execd/Module.h"
#include "Poco/ClassLibrary.h"


namespace execd {
namespace files {


class FilesModule: public Module
	/// The filesystem API: /files and /directories. Keys (see FilesSettings):
	///   module.files.walkMaxEntries = 1000000     entries one search or list visits
	///   module.files.replaceMaxBytes = 67108864   largest file /files/replace edits
	/// Unknown module.files.* keys are reported at startup.
{
public:
	std::string name() const override
	{
		return "files";
	}

	void configure(ModuleContext& context) override
	{
		_settings = FilesSettings::from(context.settings());
	}

	std::vector<Route> routes() override
	{
		return fileRoutes(_settings);
	}

private:
	FilesSettings _settings;
};


} } // namespace execd::files


POCO_BEGIN_MANIFEST(execd::Module)
	POCO_EXPORT_CLASS(execd::files::FilesModule)
POCO_END_MANIFEST
