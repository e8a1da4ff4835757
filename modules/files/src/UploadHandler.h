#pragma once

#include "Upload.h"
#include "execd/JsonHandler.h"
#include <cstddef>
#include <istream>
#include <memory>
#include <string>
#include <vector>


namespace execd {
namespace files {


class MultipartParser;


class UploadHandler: public JsonHandler
	/// POST /files/upload: a multipart/form-data body whose i-th "metadata" part
	/// ({"path","owner","group","mode"}) describes its i-th "file" part; other parts
	/// are skipped. Files are streamed to temporary files in constant memory; no
	/// target is replaced before the whole body has arrived, every metadata part
	/// has been found valid and every file has passed If-Match.
{
public:
	static constexpr std::size_t METADATA_MAX_BYTES = 1024 * 1024;
		/// The largest metadata part; past it, 400 INVALID_FILE_METADATA.

	using JsonHandler::JsonHandler;

protected:
	// execd::JsonHandler
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override;

private:
	struct Form
		/// The parts of one request, in the order they came.
	{
		std::vector<std::string> metadata;
		std::vector<std::unique_ptr<Upload>> files;
		std::size_t parts = 0;
	};

	static void readForm(std::istream& in, const std::string& boundary, Form& form);
	static std::string readMetadata(MultipartParser& parser);
	static std::unique_ptr<Upload> readFile(MultipartParser& parser, const Form& form, const std::string& spoolDir);
	static void checkForm(Form& form);
	static void checkPreconditions(const Poco::Net::HTTPServerRequest& request, const Form& form);
	static void place(Upload& upload);
	static std::string spoolDirectory();
};


} } // namespace execd::files
