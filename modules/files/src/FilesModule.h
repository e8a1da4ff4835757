#pragma once

#include "FilesSettings.h"
#include "execd/Module.h"


namespace execd {
namespace files {


class FilesModule: public Module
	/// The filesystem API: /files and /directories. Keys (see FilesSettings):
	///   module.files.walkMaxEntries = 1000000     entries one search or list visits
	///   module.files.replaceMaxBytes = 67108864   largest file /files/replace edits
	/// Unknown module.files.* keys are reported at startup.
{
public:
	// execd::Module
	std::string name() const override;
	void configure(ModuleContext& context) override;
	std::vector<Route> routes() override;
		/// Every /files and /directories route; they borrow the settings, valid
		/// while the module lives.

private:
	FilesSettings _settings;
};


} } // namespace execd::files
