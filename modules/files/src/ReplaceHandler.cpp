#include "ReplaceHandler.h"
#include "FileSystem.h"
#include "RequestBody.h"
#include "Transfer.h"
#include "execd/Http.h"
#include "execd/StreamEvent.h"
#include <cerrno>
#include <fcntl.h>
#include <unistd.h>
#include <vector>


namespace execd {
namespace files {


ReplaceHandler::ReplaceHandler(const RouteMatch& match, const FilesSettings& settings):
	JsonHandler(match),
	_settings(settings)
{
}


void ReplaceHandler::handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
	QueryParams query(request);
	bool verbose = query.get("verbose", "") == "true";
	auto body = RequestBody::object(request);
	std::vector<Edit> edits;
	for (const std::string& raw: RequestBody::sortedKeys(body))
	{
		JsonBody entry = RequestBody::entry(body, raw);
		edits.push_back(Edit{raw, "", entry.getString("old").value_or(""), entry.getString("new").value_or(""), "", 0});
	}
	// Everything is read and checked before anything is written: a bad entry
	// or a failed If-Match leaves every file as it was.
	for (Edit& e: edits) prepare(request, e);
	for (const Edit& e: edits) writeInPlace(e.path, e.content);
	if (!verbose)
	{
		Http::sendEmpty(response);
		return;
	}
	std::vector<std::pair<std::string, std::string>> counts;
	for (const Edit& e: edits) counts.emplace_back(e.raw, "{\"replacedCount\":" + std::to_string(e.count) + "}");
	Http::sendJson(response, jsonObject(counts));
}


void ReplaceHandler::prepare(const Poco::Net::HTTPServerRequest& request, Edit& e) const
	// Checks one entry, reads its file and computes the new content.
{
	checkPath(e.raw);
	e.path = Paths::absolute(e.raw);
	struct stat st;
	if (::stat(e.path.c_str(), &st) != 0) throwFileError(errno, "stat", e.path);
	checkEditable(e.path, st);
	Transfer::checkIfMatch(request, e.path, &st);
	e.content = readAll(e.path);
	if (e.oldText.empty()) throw ApiException::badRequest("old content must not be empty");
	substitute(e);
}


void ReplaceHandler::substitute(Edit& e) const
	// Every occurrence of oldText in content by newText, within replaceMaxBytes.
{
	std::string out;
	std::size_t pos = 0;
	for (;;)
	{
		std::size_t hit = e.content.find(e.oldText, pos);
		if (hit == std::string::npos) break;
		out.append(e.content, pos, hit - pos);
		out += e.newText;
		pos = hit + e.oldText.size();
		++e.count;
		if (out.size() > _settings.replaceMaxBytes) tooLarge(e.path, "would grow past");
	}
	out.append(e.content, pos, std::string::npos);
	if (out.size() > _settings.replaceMaxBytes) tooLarge(e.path, "would grow past");
	e.content.swap(out);
}


void ReplaceHandler::checkEditable(const std::string& path, const struct stat& st) const
	// A directory is upstream's EISDIR (500); a FIFO, device or socket would block
	// or never end, and a file past the limit would not fit.
{
	if (S_ISDIR(st.st_mode)) throwFileError(EISDIR, "read", path);
	Transfer::checkRegular(path, st);
	if (static_cast<unsigned long long>(st.st_size) > _settings.replaceMaxBytes) tooLarge(path, "is larger than");
}


void ReplaceHandler::tooLarge(const std::string& path, const std::string& how) const
{
	throw ApiException(413, ErrorCode::PAYLOAD_TOO_LARGE, "file " + path + " " + how + " " + std::to_string(_settings.replaceMaxBytes)
		+ " bytes, the limit of /files/replace (module.files.replaceMaxBytes)");
}


std::string ReplaceHandler::readAll(const std::string& path) const
{
	// O_NONBLOCK: if a FIFO took the file's place since stat, open does not wait
	// for a writer; fstat then refuses it.
	int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) throwFileError(errno, "open", path);
	Descriptor closer{fd};
	struct stat st;
	if (::fstat(fd, &st) != 0) throwFileError(errno, "stat", path);
	checkEditable(path, st);
	std::string data;
	char buffer[Transfer::READ_BYTES];
	for (;;)
	{
		ssize_t n = Transfer::readSome(fd, buffer, sizeof(buffer));
		if (n < 0) throwFileError(errno, "read", path);
		if (n == 0) break;
		data.append(buffer, static_cast<std::size_t>(n));
		if (data.size() > _settings.replaceMaxBytes) tooLarge(path, "is larger than");   // it grew meanwhile
	}
	return data;
}


void ReplaceHandler::writeInPlace(const std::string& path, const std::string& content)
{
	// In place, as upstream: the inode, its owner, mode and hard links stay.
	int fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) throwFileError(errno, "open", path);
	Descriptor closer{fd};
	struct stat st;
	if (::fstat(fd, &st) != 0) throwFileError(errno, "stat", path);
	Transfer::checkRegular(path, st);
	if (::ftruncate(fd, 0) != 0) throwFileError(errno, "truncate", path);
	int error = Transfer::writeAll(fd, content.data(), content.size());
	if (error != 0) throwFileError(error, "write", path);
	::fsync(fd);
}


} } // namespace execd::files
