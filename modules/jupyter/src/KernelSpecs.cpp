#include "KernelSpecs.h"
#include "execd/Subprocess.h"
#include "Poco/JSON/Array.h"
#include "Poco/JSON/Object.h"
#include "Poco/JSON/Parser.h"
#include "Poco/String.h"
#include <dirent.h>
#include <fstream>
#include <sstream>


namespace execd {
namespace jupyter {


namespace {


std::string replaced(std::string text, const std::string& key, const std::string& value)
{
	for (std::size_t pos = 0; (pos = text.find(key, pos)) != std::string::npos; pos += value.size())
		text.replace(pos, key.size(), value);
	return text;
}


bool readSmall(const std::string& path, std::string& text)
{
	std::ifstream in(path, std::ios::binary);
	if (!in) return false;
	text.resize(KernelSpecs::MAX_SPEC_BYTES + 1);
	in.read(&text[0], static_cast<std::streamsize>(text.size()));
	text.resize(static_cast<std::size_t>(in.gcount()));
	return text.size() <= KernelSpecs::MAX_SPEC_BYTES;
}


} // namespace


std::vector<std::string> KernelSpec::command(const std::string& connectionFile) const
{
	std::vector<std::string> out;
	for (const std::string& arg: argv)
		out.push_back(replaced(replaced(arg, "{connection_file}", connectionFile), "{resource_dir}", directory));
	return out;
}


bool KernelSpec::restartsOnInterrupt() const
{
	for (const std::string& arg: argv)
		if (arg.find("ijavascript") != std::string::npos) return true;
	return false;
}


std::vector<std::string> KernelSpecs::searchPath()
{
	std::map<std::string, std::string> environment;
	for (const std::string& e: Subprocess::environment())
	{
		std::size_t eq = e.find('=');
		if (eq != std::string::npos) environment[e.substr(0, eq)] = e.substr(eq + 1);
	}
	return searchPath(environment);
}


std::vector<std::string> KernelSpecs::searchPath(const std::map<std::string, std::string>& environment)
{
	auto get = [&environment](const std::string& name)
	{
		auto it = environment.find(name);
		return it == environment.end() ? std::string() : it->second;
	};
	std::vector<std::string> dirs;
	std::istringstream jupyterPath(get("JUPYTER_PATH"));
	for (std::string dir; std::getline(jupyterPath, dir, ':');)
		if (!dir.empty()) dirs.push_back(dir);
	std::string data = get("JUPYTER_DATA_DIR");
	if (data.empty() && !get("HOME").empty()) data = get("HOME") + "/.local/share/jupyter";
	if (!data.empty()) dirs.push_back(data);
	dirs.push_back("/usr/local/share/jupyter");
	dirs.push_back("/usr/share/jupyter");
	return dirs;
}


KernelSpecs KernelSpecs::scan(const std::vector<std::string>& dataDirectories)
{
	KernelSpecs specs;
	for (const std::string& data: dataDirectories)
	{
		const std::string kernels = data + "/kernels";
		DIR* dir = ::opendir(kernels.c_str());
		if (!dir) continue;
		std::size_t seen = 0;
		while (struct dirent* entry = ::readdir(dir))
		{
			const std::string name = entry->d_name;
			if (name.empty() || name[0] == '.') continue;
			if (++seen > MAX_SPECS) break;
			if (specs._specs.count(name)) continue;   // an earlier directory has it
			const std::string directory = kernels + "/" + name;
			std::string json;
			if (!readSmall(directory + "/kernel.json", json)) continue;
			if (auto spec = parse(name, directory, json)) specs._specs.emplace(name, std::move(*spec));
		}
		::closedir(dir);
	}
	return specs;
}


std::optional<KernelSpec> KernelSpecs::parse(const std::string& name, const std::string& directory, const std::string& json)
{
	try
	{
		Poco::Dynamic::Var value = Poco::JSON::Parser().parse(json);
		if (value.type() != typeid(Poco::JSON::Object::Ptr)) return std::nullopt;
		Poco::JSON::Object::Ptr pObject = value.extract<Poco::JSON::Object::Ptr>();
		Poco::JSON::Array::Ptr pArgv = pObject->getArray("argv");
		if (!pArgv || pArgv->size() == 0) return std::nullopt;
		KernelSpec spec;
		spec.name = name;
		spec.directory = directory;
		for (std::size_t i = 0; i < pArgv->size(); ++i)
		{
			Poco::Dynamic::Var arg = pArgv->get(static_cast<unsigned>(i));
			if (!arg.isString()) return std::nullopt;
			spec.argv.push_back(arg.toString());
		}
		if (spec.argv.front().empty()) return std::nullopt;
		if (Poco::JSON::Object::Ptr pEnv = pObject->getObject("env"))
		{
			for (const auto& entry: *pEnv)
				if (entry.second.isString()) spec.env[entry.first] = entry.second.toString();
		}
		spec.language = Poco::toLower(pObject->optValue<std::string>("language", ""));
		spec.displayName = pObject->optValue<std::string>("display_name", name);
		spec.interruptByMessage = pObject->optValue<std::string>("interrupt_mode", "signal") == "message";
		return spec;
	}
	catch (Poco::Exception&)
	{
		return std::nullopt;
	}
}


std::optional<KernelSpec> KernelSpecs::find(const std::string& name) const
{
	auto it = _specs.find(name);
	if (it == _specs.end()) return std::nullopt;
	return it->second;
}


std::optional<KernelSpec> KernelSpecs::forLanguage(const std::string& language) const
{
	const std::string wanted = Poco::toLower(language);
	for (const auto& entry: _specs)
		if (entry.second.language == wanted) return entry.second;
	return std::nullopt;
}


std::vector<std::string> KernelSpecs::names() const
{
	std::vector<std::string> out;
	for (const auto& entry: _specs) out.push_back(entry.first);
	return out;
}


} } // namespace execd::jupyter
