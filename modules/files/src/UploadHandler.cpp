// POST /files/upload: streamed to temporary files, in constant memory.

#include "UploadHandler.h"
#include "Multipart.h"
#include "Transfer.h"
#include "execd/Http.h"
#include "Poco/InflatingStream.h"
#include "Poco/String.h"
#include <chrono>
#include <cstdlib>
#include <sys/stat.h>
#include <thread>


namespace execd {
namespace files {


void UploadHandler::handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
	std::string boundary = MultipartParser::boundaryOf(request.getContentType());
	if (boundary.empty() || !Http::hasBody(request))
		throw ApiException::badRequest("multipart form is empty", ErrorCode::INVALID_FILE);
	// Content-Encoding: gzip: the multipart body is inflated as it is read.
	const std::string encoding = Poco::toLower(Poco::trim(request.get("Content-Encoding", "identity")));
	if (encoding != "identity" && encoding != "gzip" && encoding != "x-gzip")
	{
		response.setKeepAlive(false);
		throw ApiException(415, ErrorCode::INVALID_FILE, "unsupported Content-Encoding '" + encoding + "': gzip or identity");
	}
	Form form;
	try
	{
		if (encoding == "identity")
		{
			readForm(request.stream(), boundary, form);
		}
		else
		{
			Poco::InflatingInputStream inflated(request.stream(), Poco::InflatingStreamBuf::STREAM_GZIP);
			inflated.exceptions(std::ios::badbit);   // zlib's errors, not a body that looks cut off
			readForm(inflated, boundary, form);
			// To the gzip trailer, whose CRC tells a corrupted body before anything is placed.
			char rest[4096];
			while (inflated.read(rest, sizeof(rest)) || inflated.gcount() > 0) { }
		}
	}
	catch (Poco::DataFormatException& exc)
	{
		// Malformed or cut off: nothing was committed and the temporary files go.
		throw ApiException::badRequest("invalid multipart body: " + exc.message(), ErrorCode::INVALID_FILE);
	}
	catch (Poco::IOException& exc)
	{
		if (encoding == "identity") throw;
		// zlib's complaint about a stream that is not gzip, or is cut off.
		response.setKeepAlive(false);
		throw ApiException::badRequest("invalid gzip body: " + exc.message(), ErrorCode::INVALID_FILE);
	}
	checkForm(form);
	// Every file has arrived: check If-Match for all before replacing any.
	checkPreconditions(request, form);
	for (auto& upload: form.files) place(*upload);
	Http::sendEmpty(response);
}


void UploadHandler::readForm(std::istream& in, const std::string& boundary, Form& form)
	// Every part of the body; throws Poco::DataFormatException when it is
	// malformed or cut off.
{
	MultipartParser parser(in, boundary);
	const std::string spoolDir = spoolDirectory();
	MultipartParser::Part part;
	while (parser.next(part))
	{
		++form.parts;
		if (part.name == "metadata")
			form.metadata.push_back(readMetadata(parser));
		else if (part.name == "file")
			form.files.push_back(readFile(parser, form, spoolDir));
		else
			parser.read([](const char*, std::size_t) {});
	}
}


std::string UploadHandler::readMetadata(MultipartParser& parser)
{
	std::string text;
	parser.read([&text](const char* data, std::size_t size) {
		if (text.size() + size > METADATA_MAX_BYTES) throw ApiException::badRequest("metadata part is larger than 1 MiB", ErrorCode::INVALID_FILE_METADATA);
		text.append(data, size);
	});
	return text;
}


std::unique_ptr<Upload> UploadHandler::readFile(MultipartParser& parser, const Form& form, const std::string& spoolDir)
	// A file part, written to a temporary file; its bytes are dropped when its
	// metadata is already known to be bad.
{
	auto upload = std::make_unique<Upload>();
	std::size_t index = form.files.size();
	if (index < form.metadata.size())
	{
		// The usual order: its metadata came first, so it is written next to its
		// target at once.
		upload->describe(form.metadata[index]);
		if (!upload->error())
		{
			upload->resolve();
			upload->openBesideTarget();
		}
	}
	else
	{
		upload->openSpool(spoolDir);
	}
	Upload& u = *upload;
	parser.read([&u](const char* data, std::size_t size) {
		if (!u.error()) u.write(data, size);
	});
	if (!u.error()) u.finish();
	return upload;
}


void UploadHandler::checkForm(Form& form)
	// The structure first, then each file's metadata, in order: the first
	// problem is the one reported.
{
	if (form.parts == 0) throw ApiException::badRequest("multipart form is empty", ErrorCode::INVALID_FILE);
	if (form.metadata.empty()) throw ApiException::badRequest("metadata file is missing", ErrorCode::INVALID_FILE_METADATA);
	if (form.files.empty()) throw ApiException::badRequest("file is missing", ErrorCode::INVALID_FILE_CONTENT);
	if (form.metadata.size() != form.files.size())
		throw ApiException::badRequest("metadata and file count mismatch: " + std::to_string(form.metadata.size()) + " vs " + std::to_string(form.files.size()), ErrorCode::INVALID_FILE);
	for (std::size_t i = 0; i < form.files.size(); ++i)
	{
		Upload& u = *form.files[i];
		if (u.spooled())
		{
			// Its metadata came after it: the metadata is read now, and the
			// spooled bytes are copied next to the target by place().
			u.describe(form.metadata[i]);
			if (!u.error()) u.resolve();
		}
		if (u.error()) throw *u.error();
	}
}


void UploadHandler::checkPreconditions(const Poco::Net::HTTPServerRequest& request, const Form& form)
{
	for (const auto& u: form.files)
	{
		struct stat st;
		bool exists = ::stat(u->target().c_str(), &st) == 0;
		Transfer::checkIfMatch(request, u->target(), exists ? &st : nullptr);
	}
}


void UploadHandler::place(Upload& upload)
	// Renames one file into place, then applies its permission: as upstream, after
	// the file is in place (so a failure leaves it written), with one retry for
	// slow file systems.
{
	if (upload.spooled()) upload.unspool();
	upload.commit();
	try
	{
		applyPermission(upload.target(), upload.permission());
	}
	catch (Poco::FileException&)
	{
		std::this_thread::sleep_for(std::chrono::milliseconds(20));
		try
		{
			applyPermission(upload.target(), upload.permission());
		}
		catch (Poco::FileException& exc)
		{
			throw ApiException::runtimeError("error chmoding file " + upload.target() + ". " + exc.message());
		}
	}
}


std::string UploadHandler::spoolDirectory()
	// Where a file goes whose metadata has not come yet: $TMPDIR, or /tmp.
{
	const char* dir = std::getenv("TMPDIR");
	return dir && *dir ? dir : "/tmp";
}


} } // namespace execd::files
