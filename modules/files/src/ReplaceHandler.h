#pragma once

#include "FilesSettings.h"
#include "execd/JsonHandler.h"
#include <cstddef>
#include <string>
#include <sys/stat.h>


namespace execd {
namespace files {


class ReplaceHandler: public JsonHandler
	/// POST /files/replace?verbose= {"<path>": {"old","new"}}: replaces every
	/// occurrence of old by new in each file, in place (the inode, owner, mode and
	/// hard links stay). Regular files only, none larger than replaceMaxBytes
	/// before or after the edit (413). Every file is read and checked, If-Match
	/// included, before any is written. With verbose=true the answer is
	/// {"<path>": {"replacedCount": n}}.
{
public:
	ReplaceHandler(const RouteMatch& match, const FilesSettings& settings);
		/// settings must outlive the handler.

protected:
	// execd::JsonHandler
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override;

private:
	struct Edit
		/// One entry of the body, and what it makes of its file.
	{
		std::string raw;        ///< the path as the client sent it
		std::string path;
		std::string oldText;
		std::string newText;
		std::string content;    ///< the file's content, then the edited content
		std::size_t count = 0;  ///< occurrences replaced
	};

	void prepare(const Poco::Net::HTTPServerRequest& request, Edit& edit) const;
	void substitute(Edit& edit) const;
	void checkEditable(const std::string& path, const struct stat& st) const;
	[[noreturn]] void tooLarge(const std::string& path, const std::string& how) const;
	std::string readAll(const std::string& path) const;
	static void writeInPlace(const std::string& path, const std::string& content);

	const FilesSettings& _settings;
};


} } // namespace execd::files
