#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>


namespace execd {
namespace jupyter {


struct KernelSpec
	/// One kernelspec: <dir>/kernels/<name>/kernel.json, as Jupyter reads it.
{
	std::string name;                          ///< the directory's name: python3, tslab, ...
	std::string directory;                     ///< where kernel.json is ({resource_dir})
	std::vector<std::string> argv;             ///< with {connection_file} and {resource_dir} still in it
	std::map<std::string, std::string> env;    ///< added to the kernel's environment
	std::string language;                      ///< lowercased: python, javascript, typescript
	std::string displayName;
	bool interruptByMessage = false;           ///< interrupt_mode "message": interrupt_request on control

	std::vector<std::string> command(const std::string& connectionFile) const;
		/// argv with {connection_file} and {resource_dir} replaced.

	bool restartsOnInterrupt() const;
		/// True for ijavascript, which answers SIGINT by restarting its session
		/// process: a second signal during that restart wedges it, and a request
		/// it was running is never answered.
};


class KernelSpecs
	/// The kernelspecs of this image, found where jupyter_client looks: each
	/// directory of $JUPYTER_PATH, then $JUPYTER_DATA_DIR (or ~/.local/share/jupyter),
	/// then /usr/local/share/jupyter and /usr/share/jupyter, each with kernels/<name>/
	/// under it. The first directory that has a name wins. A kernel.json that is
	/// not a readable JSON object with a non-empty argv of strings, or that is
	/// larger than MAX_SPEC_BYTES, is skipped.
{
public:
	static constexpr std::size_t MAX_SPEC_BYTES = 1024 * 1024;
	static constexpr std::size_t MAX_SPECS = 1000;   ///< per directory: a bound on the scan

	static std::vector<std::string> searchPath(const std::map<std::string, std::string>& environment);
		/// The data directories, in order, from JUPYTER_PATH, JUPYTER_DATA_DIR and HOME.

	static std::vector<std::string> searchPath();
		/// The same for the environment execd gives its kernels (Subprocess::environment()).

	static KernelSpecs scan(const std::vector<std::string>& dataDirectories);

	std::optional<KernelSpec> find(const std::string& name) const;

	std::optional<KernelSpec> forLanguage(const std::string& language) const;
		/// The first spec (by name) whose language is language.

	std::vector<std::string> names() const;

	static std::optional<KernelSpec> parse(const std::string& name, const std::string& directory, const std::string& json);
		/// A kernel.json's text; nothing when it is unusable.

private:
	std::map<std::string, KernelSpec> _specs;
};


} } // namespace execd::jupyter
