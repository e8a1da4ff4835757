// The files module against a real filesystem over real HTTP.

#include "ExecdProcess.h"
#include "Poco/DigestEngine.h"
#include "Poco/File.h"
#include "Poco/JSON/Array.h"
#include "Poco/JSON/Object.h"
#include "Poco/JSON/Parser.h"
#include "Poco/Net/SocketAddress.h"
#include "Poco/Net/StreamSocket.h"
#include "Poco/SHA2Engine.h"
#include <cppunit/extensions/HelperMacros.h>
#include <dirent.h>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <sys/mount.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>


using namespace execd::test;


namespace {


ExecdProcess& daemon()
{
	static std::unique_ptr<ExecdProcess> pExecd;
	ExecdProcess::Options o;
	o.testModules = false;
	o.properties = {"execd.modules.load = files"};
	o.env = {{"EXECD_TEST_DIR_VAR", "/tmp"}};
	return ExecdProcess::keep(pExecd, o);
}


int port()
{
	return daemon().port();
}


std::string scratch()
	/// A fresh directory for one test.
{
	char dir[] = "/tmp/execd-files-XXXXXX";
	CPPUNIT_ASSERT(::mkdtemp(dir));
	return dir;
}


void writeFile(const std::string& path, const std::string& content)
{
	std::ofstream out(path, std::ios::binary | std::ios::trunc);
	out << content;
}


std::string readFile(const std::string& path)
{
	std::ifstream in(path, std::ios::binary);
	std::ostringstream out;
	out << in.rdbuf();
	return out.str();
}


bool exists(const std::string& path)
{
	struct stat st;
	return ::lstat(path.c_str(), &st) == 0;
}


std::string sha256(const std::string& data)
{
	Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
	engine.update(data);
	return Poco::DigestEngine::digestToHex(engine.digest());
}


std::string pct(const std::string& text)
{
	std::string out;
	static const char HEX[] = "0123456789ABCDEF";
	for (unsigned char c: text)
	{
		if (std::isalnum(c) || c == '/' || c == '.' || c == '-' || c == '_' || c == '~') out += static_cast<char>(c);
		else
		{
			out += '%';
			out += HEX[c >> 4];
			out += HEX[c & 15];
		}
	}
	return out;
}


std::string errorCode(const HttpResult& r)
{
	return object(r.body)->getValue<std::string>("code");
}


struct Part
{
	std::string disposition;   ///< the Content-Disposition value
	std::string content;
};


std::string multipart(const std::vector<Part>& parts, const std::string& boundary = "XyZbOuNdArY", bool close = true)
{
	std::string body;
	for (const Part& p: parts)
		body += "--" + boundary + "\r\nContent-Disposition: " + p.disposition + "\r\nContent-Type: application/octet-stream\r\n\r\n" + p.content + "\r\n";
	if (close) body += "--" + boundary + "--\r\n";
	return body;
}


Part meta(const std::string& json)
{
	return Part{"form-data; name=\"metadata\"; filename=\"metadata\"", json};
}


Part file(const std::string& content, const std::string& name = "blob")
{
	return Part{"form-data; name=\"file\"; filename=\"" + name + "\"", content};
}


HttpResult upload(const std::string& body, const std::map<std::string, std::string>& extra = {}, const std::string& boundary = "XyZbOuNdArY")
{
	std::map<std::string, std::string> headers{{"Content-Type", "multipart/form-data; boundary=" + boundary}};
	for (const auto& h: extra) headers[h.first] = h.second;
	return request(port(), "POST", "/files/upload", body, headers);
}


std::vector<std::string> leftovers(const std::string& dir)
	/// Temporary upload files left in dir.
{
	std::vector<std::string> out;
	DIR* d = ::opendir(dir.c_str());
	if (!d) return out;
	while (struct dirent* e = ::readdir(d))
		if (std::string(e->d_name).find("execd-upload") != std::string::npos) out.push_back(e->d_name);
	::closedir(d);
	return out;
}


std::vector<std::string> paths(const HttpResult& r)
{
	std::vector<std::string> out;
	auto array = Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Array::Ptr>();
	for (std::size_t i = 0; i < array->size(); ++i)
		out.push_back(array->getObject(static_cast<unsigned>(i))->getValue<std::string>("path"));
	return out;
}


std::string joined(const std::vector<std::string>& items, const std::string& strip)
{
	std::string out;
	for (const std::string& i: items) out += (out.empty() ? "" : ",") + i.substr(strip.size() + 1);
	return out;
}


} // namespace


class IntegrationFilesTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(IntegrationFilesTest);
	CPPUNIT_TEST(testInfo);
	CPPUNIT_TEST(testDeleteFiles);
	CPPUNIT_TEST(testPermissions);
	CPPUNIT_TEST(testMove);
	CPPUNIT_TEST(testSearch);
	CPPUNIT_TEST(testReplace);
	CPPUNIT_TEST(testUploadSizesRoundTrip);
	CPPUNIT_TEST(testUploadForms);
	CPPUNIT_TEST(testUploadErrors);
	CPPUNIT_TEST(testUploadCutOffLeavesNothing);
	CPPUNIT_TEST(testUploadIfMatch);
	CPPUNIT_TEST(testUploadDiskFull);
	CPPUNIT_TEST(testDownload);
	CPPUNIT_TEST(testDownloadRanges);
	CPPUNIT_TEST(testDownloadConditional);
	CPPUNIT_TEST(testDirectories);
	CPPUNIT_TEST(testBadInput);
	CPPUNIT_TEST_SUITE_END();

public:
	void testInfo()
	{
		std::string dir = scratch();
		writeFile(dir + "/a.txt", "hello world\n");
		::chmod((dir + "/a.txt").c_str(), 0640);
		::symlink("a.txt", (dir + "/link").c_str());
		HttpResult r = request(port(), "GET", "/files/info?path=" + dir + "/a.txt&path=" + dir + "//link&path=" + dir + "/a.txt");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("application/json; charset=utf-8"), r.header("Content-Type"));
		auto o = object(r.body);
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), o->size());
		auto a = o->getObject(dir + "/a.txt");
		CPPUNIT_ASSERT_EQUAL(dir + "/a.txt", a->getValue<std::string>("path"));
		CPPUNIT_ASSERT_EQUAL(std::string("file"), a->getValue<std::string>("type"));
		CPPUNIT_ASSERT_EQUAL(12, a->getValue<int>("size"));
		CPPUNIT_ASSERT_EQUAL(640, a->getValue<int>("mode"));
		CPPUNIT_ASSERT_EQUAL(std::string("root"), a->getValue<std::string>("owner"));
		CPPUNIT_ASSERT_EQUAL(std::string("root"), a->getValue<std::string>("group"));
		std::string mtime = a->getValue<std::string>("modified_at");
		CPPUNIT_ASSERT_MESSAGE(mtime, std::regex_match(mtime, std::regex("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d*[1-9])?Z")));
		CPPUNIT_ASSERT(a->has("created_at"));
		// The key is the raw input, the path inside is cleaned; links are not followed.
		auto link = o->getObject(dir + "//link");
		CPPUNIT_ASSERT_EQUAL(dir + "/link", link->getValue<std::string>("path"));
		CPPUNIT_ASSERT_EQUAL(std::string("symlink"), link->getValue<std::string>("type"));
		CPPUNIT_ASSERT_EQUAL(5, link->getValue<int>("size"));
		// Fields in the contract's order.
		CPPUNIT_ASSERT(r.body.find("{\"path\":\"" + dir + "/a.txt\",\"type\":\"file\",\"size\":12,\"modified_at\":") != std::string::npos);
		// One path: a strong ETag.
		r = request(port(), "GET", "/files/info?path=" + dir + "/a.txt");
		CPPUNIT_ASSERT(r.header("ETag").size() > 2 && r.header("ETag")[0] == '"');
		// Environment variables and relative paths.
		r = request(port(), "GET", "/files/info?path=" + pct("$EXECD_TEST_DIR_VAR") + dir.substr(4) + "/a.txt");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
		r = request(port(), "GET", "/files/info?path=" + pct("$NOT_DEFINED_A/${NOT_DEFINED_B}/x"));
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		CPPUNIT_ASSERT(r.body.find("undefined environment variables: NOT_DEFINED_A,NOT_DEFINED_B") != std::string::npos);
		// No path: {}; a missing one: 404.
		r = request(port(), "GET", "/files/info");
		CPPUNIT_ASSERT_EQUAL(std::string("{}"), r.body);
		r = request(port(), "GET", "/files/info?path=" + dir + "/nope");
		CPPUNIT_ASSERT_EQUAL(404, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"FILE_NOT_FOUND\",\"message\":\"file not found. lstat " + dir + "/nope: no such file or directory\"}"), r.body);
	}

	void testDeleteFiles()
	{
		std::string dir = scratch();
		writeFile(dir + "/a", "1");
		writeFile(dir + "/b", "2");
		::mkdir((dir + "/d").c_str(), 0755);
		HttpResult r = request(port(), "DELETE", "/files?path=" + dir + "/a&path=" + dir + "/missing&path=" + dir + "/b");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("0"), r.header("Content-Length"));
		CPPUNIT_ASSERT(!r.hasHeader("Content-Type"));
		CPPUNIT_ASSERT(!exists(dir + "/a") && !exists(dir + "/b"));
		r = request(port(), "DELETE", "/files?path=" + dir + "/d");
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		CPPUNIT_ASSERT(r.body.find("path is a directory") != std::string::npos);
		CPPUNIT_ASSERT(exists(dir + "/d"));
	}

	void testPermissions()
	{
		std::string dir = scratch();
		writeFile(dir + "/run.sh", "#!/bin/sh\n");
		HttpResult r = request(port(), "POST", "/files/permissions",
			"{\"" + dir + "/run.sh\":{\"owner\":\"nobody\",\"group\":\"nogroup\",\"mode\":755}}");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("0"), r.header("Content-Length"));
		struct stat st;
		::stat((dir + "/run.sh").c_str(), &st);
		CPPUNIT_ASSERT_EQUAL(0755u, static_cast<unsigned>(st.st_mode & 07777));
		CPPUNIT_ASSERT_EQUAL(65534u, static_cast<unsigned>(st.st_uid));
		CPPUNIT_ASSERT_EQUAL(65534u, static_cast<unsigned>(st.st_gid));
		// Mode only: ownership goes back to execd's user, as upstream; 4755 keeps 9 bits.
		r = request(port(), "POST", "/files/permissions", "{\"" + dir + "/run.sh\":{\"Mode\":4700}}");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		::stat((dir + "/run.sh").c_str(), &st);
		CPPUNIT_ASSERT_EQUAL(0700u, static_cast<unsigned>(st.st_mode & 07777));
		CPPUNIT_ASSERT_EQUAL(0u, static_cast<unsigned>(st.st_uid));
		r = request(port(), "POST", "/files/permissions", "{\"" + dir + "/missing\":{\"mode\":644}}");
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("RUNTIME_ERROR"), errorCode(r));
		r = request(port(), "POST", "/files/permissions", "{\"" + dir + "/run.sh\":{\"mode\":789}}");
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		r = request(port(), "POST", "/files/permissions", "{\"" + dir + "/run.sh\":{\"mode\":\"755\"}}");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		r = request(port(), "POST", "/files/permissions", "[1]");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT_EQUAL(200, request(port(), "POST", "/files/permissions", "null").status);
	}

	void testMove()
	{
		std::string dir = scratch();
		writeFile(dir + "/a.txt", "A");
		writeFile(dir + "/b.txt", "B");
		HttpResult r = request(port(), "POST", "/files/mv", "[{\"src\":\"" + dir + "/a.txt\",\"dest\":\"" + dir + "/archive/2026/a.txt\"}]");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("0"), r.header("Content-Length"));
		CPPUNIT_ASSERT_EQUAL(std::string("A"), readFile(dir + "/archive/2026/a.txt"));
		// Never overwrites.
		r = request(port(), "POST", "/files/mv", "[{\"src\":\"" + dir + "/b.txt\",\"dest\":\"" + dir + "/archive/2026/a.txt\"}]");
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		CPPUNIT_ASSERT(r.body.find("destination path already exists") != std::string::npos);
		CPPUNIT_ASSERT_EQUAL(std::string("B"), readFile(dir + "/b.txt"));
		r = request(port(), "POST", "/files/mv", "[{\"src\":\"" + dir + "/nope\",\"dest\":\"" + dir + "/x\"}]");
		CPPUNIT_ASSERT_EQUAL(404, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("FILE_NOT_FOUND"), errorCode(r));
		r = request(port(), "POST", "/files/mv", "{\"src\":\"a\"}");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		// Directories move too.
		r = request(port(), "POST", "/files/mv", "[{\"src\":\"" + dir + "/archive\",\"dest\":\"" + dir + "/old\"}]");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT(exists(dir + "/old/2026/a.txt"));
	}

	void testSearch()
	{
		std::string dir = scratch();
		::mkdir((dir + "/b").c_str(), 0755);
		::mkdir((dir + "/b/x").c_str(), 0755);
		::mkdir((dir + "/.hid").c_str(), 0755);
		writeFile(dir + "/a.txt", "");
		writeFile(dir + "/b/c.txt", "");
		writeFile(dir + "/b.txt", "");
		writeFile(dir + "/b/x/x", "");
		writeFile(dir + "/.hid/.secret.txt", "");
		writeFile(dir + "/run.log", "");
		::symlink(dir.c_str(), (dir + "/b/loop").c_str());
		auto search = [&](const std::string& pattern) {
			return request(port(), "GET", "/files/search?path=" + dir + (pattern.empty() ? "" : "&pattern=" + pct(pattern)));
		};
		HttpResult r = search("*.txt");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string(".hid/.secret.txt,a.txt,b/c.txt,b.txt"), joined(paths(r), dir));
		CPPUNIT_ASSERT_EQUAL(std::string(".hid/.secret.txt,a.txt,b/c.txt,b.txt"), joined(paths(search("**/*.txt")), dir));
		// Base names only: "**/x" finds the file x, never the directory x; "b/*.txt" nothing.
		CPPUNIT_ASSERT_EQUAL(std::string("b/x/x"), joined(paths(search("**/x")), dir));
		CPPUNIT_ASSERT_EQUAL(std::string("[]"), search("b/*.txt").body);
		// Everything (symlinks reported, not followed), no directories.
		CPPUNIT_ASSERT_EQUAL(std::string(".hid/.secret.txt,a.txt,b/c.txt,b/loop,b/x/x,b.txt,run.log"), joined(paths(search("")), dir));
		CPPUNIT_ASSERT_EQUAL(std::string("a.txt,b.txt"), joined(paths(search("{a,b}.txt")), dir));
		CPPUNIT_ASSERT_EQUAL(std::string("a.txt,b.txt"), joined(paths(search("[ab].t?t")), dir));
		CPPUNIT_ASSERT_EQUAL(std::string("b/c.txt,b/loop,b/x/x,run.log"), joined(paths(search("[!ab.]*")), dir));
		CPPUNIT_ASSERT_EQUAL(std::string(".hid/.secret.txt,a.txt,b/c.txt,b/loop,b/x/x,b.txt"), joined(paths(search("!(*.log)")), dir));
		CPPUNIT_ASSERT_EQUAL(std::string("[]"), search("*.none").body);
		r = search("[");
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		CPPUNIT_ASSERT(r.body.find("syntax error in pattern") != std::string::npos);
		r = request(port(), "GET", "/files/search?path=" + dir + "/nope&pattern=*");
		CPPUNIT_ASSERT_EQUAL(404, r.status);
		r = request(port(), "GET", "/files/search?pattern=*");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"MISSING_QUERY\",\"message\":\"missing query parameter 'path'\"}"), r.body);
	}

	void testReplace()
	{
		std::string dir = scratch();
		writeFile(dir + "/app.py", "DEBUG = True\nx = 'DEBUG = True'\n");
		writeFile(dir + "/b.txt", "aaaa");
		HttpResult r = request(port(), "POST", "/files/replace?verbose=true",
			"{\"" + dir + "/app.py\":{\"old\":\"DEBUG = True\",\"new\":\"DEBUG = False\"},\"" + dir + "/b.txt\":{\"old\":\"aa\",\"new\":\"b\"}}");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"" + dir + "/app.py\":{\"replacedCount\":2},\"" + dir + "/b.txt\":{\"replacedCount\":2}}"), r.body);
		CPPUNIT_ASSERT_EQUAL(std::string("DEBUG = False\nx = 'DEBUG = False'\n"), readFile(dir + "/app.py"));
		CPPUNIT_ASSERT_EQUAL(std::string("bb"), readFile(dir + "/b.txt"));
		// Non-verbose: empty 200; no "new" deletes.
		r = request(port(), "POST", "/files/replace", "{\"" + dir + "/b.txt\":{\"old\":\"b\"}}");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("0"), r.header("Content-Length"));
		CPPUNIT_ASSERT_EQUAL(std::string(""), readFile(dir + "/b.txt"));
		r = request(port(), "POST", "/files/replace", "{\"" + dir + "/app.py\":{\"old\":\"\",\"new\":\"x\"}}");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		r = request(port(), "POST", "/files/replace", "{\"" + dir + "/nope\":{\"old\":\"a\"}}");
		CPPUNIT_ASSERT_EQUAL(404, r.status);
		// If-Match: another agent's edit is not overwritten.
		std::string tag = request(port(), "GET", "/files/info?path=" + dir + "/app.py").header("ETag");
		writeFile(dir + "/app.py", "edited by someone else DEBUG = False\n");
		r = request(port(), "POST", "/files/replace", "{\"" + dir + "/app.py\":{\"old\":\"DEBUG\",\"new\":\"X\"}}", {{"If-Match", tag}});
		CPPUNIT_ASSERT_EQUAL(412, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("edited by someone else DEBUG = False\n"), readFile(dir + "/app.py"));
		tag = request(port(), "GET", "/files/info?path=" + dir + "/app.py").header("ETag");
		r = request(port(), "POST", "/files/replace", "{\"" + dir + "/app.py\":{\"old\":\"DEBUG\",\"new\":\"X\"}}", {{"If-Match", tag}});
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("edited by someone else X = False\n"), readFile(dir + "/app.py"));
	}

	void testUploadSizesRoundTrip()
	{
		std::string dir = scratch();
		for (std::size_t size: {std::size_t(0), std::size_t(1), std::size_t(18 * 1024), std::size_t(1 << 20), std::size_t(100 << 20)})
		{
			std::string data(size, '\0');
			for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<char>((i * 2654435761u) >> 13);
			// The boundary text inside the data must not confuse the parser.
			if (size > 100) data.replace(size / 2, 15, "\r\n--XyZbOuNdArX");
			std::string target = dir + "/sub/f" + std::to_string(size) + ".bin";
			HttpResult r = upload(multipart({meta("{\"path\":\"" + target + "\"}"), file(data)}));
			CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
			CPPUNIT_ASSERT_EQUAL(std::string("0"), r.header("Content-Length"));
			r = request(port(), "GET", "/files/download?path=" + target);
			CPPUNIT_ASSERT_EQUAL(200, r.status);
			CPPUNIT_ASSERT_EQUAL(std::to_string(size), r.header("Content-Length"));
			CPPUNIT_ASSERT_EQUAL_MESSAGE(std::to_string(size) + " bytes", sha256(data), sha256(r.body));
		}
		CPPUNIT_ASSERT(leftovers(dir + "/sub").empty());
	}

	void testUploadForms()
	{
		std::string dir = scratch();
		// Several files, pairs interleaved; owner/group/mode; a new file is 0755 (umask 022).
		HttpResult r = upload(multipart({
			meta("{\"path\":\"" + dir + "/one.txt\",\"owner\":\"nobody\",\"group\":\"nogroup\",\"mode\":600}"), file("first"),
			meta("{\"path\":\"" + dir + "/two.txt\"}"), file("second")}));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
		struct stat st;
		::stat((dir + "/one.txt").c_str(), &st);
		CPPUNIT_ASSERT_EQUAL(0600u, static_cast<unsigned>(st.st_mode & 07777));
		CPPUNIT_ASSERT_EQUAL(65534u, static_cast<unsigned>(st.st_uid));
		::stat((dir + "/two.txt").c_str(), &st);
		CPPUNIT_ASSERT_EQUAL(0755u, static_cast<unsigned>(st.st_mode & 07777));
		CPPUNIT_ASSERT_EQUAL(std::string("first"), readFile(dir + "/one.txt"));
		CPPUNIT_ASSERT_EQUAL(std::string("second"), readFile(dir + "/two.txt"));
		// All metadata first, then the files (Python SDK); an existing file keeps its mode.
		r = upload(multipart({meta("{\"path\":\"" + dir + "/one.txt\"}"), meta("{\"path\":\"" + dir + "/three.txt\"}"), file("1!"), file("3!")}));
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		::stat((dir + "/one.txt").c_str(), &st);
		CPPUNIT_ASSERT_EQUAL(0600u, static_cast<unsigned>(st.st_mode & 07777));
		CPPUNIT_ASSERT_EQUAL(std::string("1!"), readFile(dir + "/one.txt"));
		CPPUNIT_ASSERT_EQUAL(std::string("3!"), readFile(dir + "/three.txt"));
		// A file before its metadata: spooled, then put in place.
		r = upload(multipart({file("late"), meta("{\"path\":\"" + dir + "/late/x.txt\"}")}));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("late"), readFile(dir + "/late/x.txt"));
		// The C# SDK's unquoted parameters with filename*; a metadata part without filename.
		r = upload(multipart({Part{"form-data; name=metadata; filename=metadata; filename*=utf-8''metadata", "{\"path\":\"" + dir + "/cs.txt\"}"},
			Part{"form-data; name=file; filename=cs.txt; filename*=utf-8''cs.txt", "csharp"}}));
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("csharp"), readFile(dir + "/cs.txt"));
		r = upload(multipart({Part{"form-data; name=\"metadata\"", "{\"path\":\"" + dir + "/nofn.txt\"}"}, file("ok")}));
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("ok"), readFile(dir + "/nofn.txt"));
		// Chunked transfer encoding and Expect: 100-continue, as curl, Kotlin and Go send it.
		std::string body = multipart({meta("{\"path\":\"" + dir + "/chunked.txt\"}"), file(std::string(100000, 'c'))});
		std::ostringstream chunked;
		for (std::size_t at = 0; at < body.size(); at += 7000)
		{
			std::string piece = body.substr(at, 7000);
			chunked << std::hex << piece.size() << "\r\n" << piece << "\r\n";
		}
		chunked << "0\r\n\r\n";
		r = rawRequest(port(), "POST /files/upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n"
			"Connection: close\r\nContent-Type: multipart/form-data; boundary=XyZbOuNdArY\r\n\r\n" + chunked.str(), std::chrono::seconds(20), true);
		CPPUNIT_ASSERT_MESSAGE(r.raw.substr(0, 200), r.raw.find("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK") == 0);
		CPPUNIT_ASSERT_EQUAL(std::size_t(100000), readFile(dir + "/chunked.txt").size());
		// Special and non-ASCII names survive metadata, query strings and headers.
		const std::string special = "we \"ird\" #1?&%+ ünï 文件.txt";
		r = upload(multipart({meta("{\"path\":\"" + dir + "/we \\\"ird\\\" #1?&%+ ünï 文件.txt\"}"), file("odd")}));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("odd"), readFile(dir + "/" + special));
		r = request(port(), "GET", "/files/info?path=" + pct(dir + "/" + special));
		CPPUNIT_ASSERT_EQUAL(dir + "/" + special, object(r.body)->getObject(dir + "/" + special)->getValue<std::string>("path"));
		r = request(port(), "GET", "/files/download?path=" + pct(dir + "/" + special));
		CPPUNIT_ASSERT_EQUAL(std::string("odd"), r.body);
		CPPUNIT_ASSERT(r.header("Content-Disposition").find("filename*=UTF-8''we%20%22ird%22%20%231%3F&%25+%20%C3%BCn") != std::string::npos);
		CPPUNIT_ASSERT(leftovers(dir).empty());
	}

	void testUploadErrors()
	{
		std::string dir = scratch();
		HttpResult r = request(port(), "POST", "/files/upload", "{}", {{"Content-Type", "application/json"}});
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"INVALID_FILE\",\"message\":\"multipart form is empty\"}"), r.body);
		r = upload(multipart({file("x")}));
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"INVALID_FILE_METADATA\",\"message\":\"metadata file is missing\"}"), r.body);
		r = upload(multipart({meta("{\"path\":\"" + dir + "/a\"}")}));
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"INVALID_FILE_CONTENT\",\"message\":\"file is missing\"}"), r.body);
		r = upload(multipart({meta("{\"path\":\"" + dir + "/a\"}"), meta("{\"path\":\"" + dir + "/b\"}"), file("x")}));
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"INVALID_FILE\",\"message\":\"metadata and file count mismatch: 2 vs 1\"}"), r.body);
		r = upload(multipart({meta("{\"path\":"), file("x")}));
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("INVALID_FILE_METADATA"), errorCode(r));
		CPPUNIT_ASSERT(object(r.body)->getValue<std::string>("message").find("invalid metadata format.") == 0);
		r = upload(multipart({meta("{\"mode\":644}"), file("x")}));
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"INVALID_FILE_METADATA\",\"message\":\"metadata path is empty\"}"), r.body);
		r = upload(multipart({meta("{\"path\":\"" + dir + "/nul\\u0000x\"}"), file("x")}));
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		// Malformed: no closing delimiter, or garbage.
		writeFile(dir + "/keep.txt", "old");
		r = upload(multipart({meta("{\"path\":\"" + dir + "/keep.txt\"}"), file("new")}, "XyZbOuNdArY", false));
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("INVALID_FILE"), errorCode(r));
		CPPUNIT_ASSERT_EQUAL(std::string("old"), readFile(dir + "/keep.txt"));
		r = upload("this is not multipart");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		// A directory where the file should go.
		::mkdir((dir + "/isdir").c_str(), 0755);
		r = upload(multipart({meta("{\"path\":\"" + dir + "/isdir\"}"), file("x")}));
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		CPPUNIT_ASSERT(r.body.find("is a directory") != std::string::npos);
		CPPUNIT_ASSERT(leftovers(dir).empty());
	}

	void testUploadCutOffLeavesNothing()
	{
		std::string dir = scratch();
		writeFile(dir + "/target.bin", "the old content");
		std::string body = multipart({meta("{\"path\":\"" + dir + "/target.bin\"}"), file(std::string(4 << 20, 'n'))});
		{
			Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port())));
			std::string head = "POST /files/upload HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=XyZbOuNdArY\r\n"
				"Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
			socket.sendBytes(head.data(), static_cast<int>(head.size()));
			std::string half = body.substr(0, body.size() / 2);
			std::size_t sent = 0;
			while (sent < half.size())
				sent += static_cast<std::size_t>(socket.sendBytes(half.data() + sent, static_cast<int>(half.size() - sent)));
			std::this_thread::sleep_for(std::chrono::milliseconds(200));
			// The temporary file exists while the upload is under way...
			CPPUNIT_ASSERT_EQUAL(std::size_t(1), leftovers(dir).size());
			socket.close();
		}
		// ...and is gone once the client has gone; the old file is intact.
		auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
		while (!leftovers(dir).empty() && std::chrono::steady_clock::now() < deadline)
			std::this_thread::sleep_for(std::chrono::milliseconds(20));
		CPPUNIT_ASSERT(leftovers(dir).empty());
		CPPUNIT_ASSERT_EQUAL(std::string("the old content"), readFile(dir + "/target.bin"));
		CPPUNIT_ASSERT_EQUAL(200, request(port(), "GET", "/files/info?path=" + dir).status);
	}

	void testUploadIfMatch()
	{
		std::string dir = scratch();
		writeFile(dir + "/doc.md", "v1");
		std::string tag = request(port(), "GET", "/files/info?path=" + dir + "/doc.md").header("ETag");
		HttpResult r = upload(multipart({meta("{\"path\":\"" + dir + "/doc.md\"}"), file("v2")}), {{"If-Match", tag}});
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		// The second agent still holds the old tag: 412, and v2 stays.
		r = upload(multipart({meta("{\"path\":\"" + dir + "/doc.md\"}"), file("v3")}), {{"If-Match", tag}});
		CPPUNIT_ASSERT_EQUAL(412, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("PRECONDITION_FAILED"), errorCode(r));
		CPPUNIT_ASSERT_EQUAL(std::string("v2"), readFile(dir + "/doc.md"));
		// "*": only when the file exists.
		r = upload(multipart({meta("{\"path\":\"" + dir + "/new.md\"}"), file("n")}), {{"If-Match", "*"}});
		CPPUNIT_ASSERT_EQUAL(412, r.status);
		CPPUNIT_ASSERT(!exists(dir + "/new.md"));
		CPPUNIT_ASSERT(leftovers(dir).empty());
	}

	void testUploadDiskFull()
	{
		std::string dir = scratch();
		if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=1m") != 0)
		{
			std::cerr << "(no tmpfs mount here: ENOSPC not tested) ";
			return;
		}
		struct Unmount
		{
			std::string dir;
			~Unmount() { ::umount2(dir.c_str(), MNT_DETACH); }
		} unmount{dir};
		writeFile(dir + "/small.txt", "kept");
		HttpResult r = upload(multipart({meta("{\"path\":\"" + dir + "/small.txt\"}"), file(std::string(2 << 20, 'z'))}));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 507, r.status);
		CPPUNIT_ASSERT(r.body.find("no space left on device") != std::string::npos);
		CPPUNIT_ASSERT_EQUAL(std::string("kept"), readFile(dir + "/small.txt"));
		CPPUNIT_ASSERT(leftovers(dir).empty());
		// The space is free again.
		r = upload(multipart({meta("{\"path\":\"" + dir + "/small.txt\"}"), file("fits")}));
		CPPUNIT_ASSERT_EQUAL(200, r.status);
	}

	void testDownload()
	{
		std::string dir = scratch();
		writeFile(dir + "/report-报告 (1).pdf", "pdf!");
		writeFile(dir + "/plain.txt", "plain");
		HttpResult r = request(port(), "GET", "/files/download?path=" + pct(dir + "/report-报告 (1).pdf"));
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("pdf!"), r.body);
		CPPUNIT_ASSERT_EQUAL(std::string("application/octet-stream"), r.header("Content-Type"));
		CPPUNIT_ASSERT_EQUAL(std::string("attachment; filename=\"report-%E6%8A%A5%E5%91%8A%20%281%29.pdf\"; filename*=UTF-8''report-%E6%8A%A5%E5%91%8A%20%281%29.pdf"),
			r.header("Content-Disposition"));
		CPPUNIT_ASSERT_EQUAL(std::string("bytes"), r.header("Accept-Ranges"));
		CPPUNIT_ASSERT(!r.header("Last-Modified").empty());
		r = request(port(), "GET", "/files/download?path=" + dir + "/plain.txt");
		CPPUNIT_ASSERT_EQUAL(std::string("attachment; filename=\"plain.txt\""), r.header("Content-Disposition"));
		CPPUNIT_ASSERT_EQUAL(std::string("5"), r.header("Content-Length"));
		CPPUNIT_ASSERT_EQUAL(request(port(), "GET", "/files/info?path=" + dir + "/plain.txt").header("ETag"), r.header("ETag"));
		r = request(port(), "GET", "/files/download");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("MISSING_QUERY"), errorCode(r));
		r = request(port(), "GET", "/files/download?path=" + dir + "/nope");
		CPPUNIT_ASSERT_EQUAL(404, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("FILE_NOT_FOUND"), errorCode(r));
		r = request(port(), "GET", "/files/download?path=" + dir);
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("RUNTIME_ERROR"), errorCode(r));
		// The connection is still good after all of these.
		CPPUNIT_ASSERT_EQUAL(std::string("plain"), request(port(), "GET", "/files/download?path=" + dir + "/plain.txt").body);
	}

	void testDownloadRanges()
	{
		std::string dir = scratch();
		std::string data;
		for (int i = 0; i < 50; ++i) data += static_cast<char>('A' + i % 26);
		writeFile(dir + "/f", data);
		auto range = [&](const std::string& value) {
			return request(port(), "GET", "/files/download?path=" + dir + "/f", "", {{"Range", value}});
		};
		struct Case
		{
			const char* range;
			const char* contentRange;
			std::size_t start;
			std::size_t length;
		};
		for (const Case& c: {Case{"bytes=0-9", "bytes 0-9/50", 0, 10}, Case{"bytes=20-29", "bytes 20-29/50", 20, 10},
			Case{"bytes=45-", "bytes 45-49/50", 45, 5}, Case{"bytes=-7", "bytes 43-49/50", 43, 7},
			Case{"bytes=40-1000", "bytes 40-49/50", 40, 10}, Case{"bytes=-100", "bytes 0-49/50", 0, 50},
			Case{"bytes=100-, 5-6", "bytes 5-6/50", 5, 2}, Case{"bytes= 1-2 ,3-4", "bytes 1-2/50", 1, 2}})
		{
			HttpResult r = range(c.range);
			CPPUNIT_ASSERT_EQUAL_MESSAGE(c.range, 206, r.status);
			CPPUNIT_ASSERT_EQUAL_MESSAGE(c.range, std::string(c.contentRange), r.header("Content-Range"));
			CPPUNIT_ASSERT_EQUAL_MESSAGE(c.range, data.substr(c.start, c.length), r.body);
			CPPUNIT_ASSERT_EQUAL(std::to_string(c.length), r.header("Content-Length"));
		}
		CPPUNIT_ASSERT(range("bytes=0-9").head.find("HTTP/1.1 206 Partial Content") == 0);
		for (const char* bad: {"bytes=abc", "items=0-1", "bytes=5-2", "bytes=1", "bytes=-x"})
		{
			HttpResult r = range(bad);
			CPPUNIT_ASSERT_EQUAL_MESSAGE(bad, 416, r.status);
			CPPUNIT_ASSERT_EQUAL(std::string("bytes */50"), r.header("Content-Range"));
			CPPUNIT_ASSERT_EQUAL(std::string("application/json; charset=utf-8"), r.header("Content-Type"));
			CPPUNIT_ASSERT_EQUAL(std::to_string(r.body.size()), r.header("Content-Length"));
			CPPUNIT_ASSERT_EQUAL(std::string("UNKNOWN"), errorCode(r));
		}
		HttpResult r = range("bytes=50-");
		CPPUNIT_ASSERT_EQUAL(416, r.status);
		CPPUNIT_ASSERT(r.body.find("failed to overlap") != std::string::npos);
		writeFile(dir + "/empty", "");
		r = request(port(), "GET", "/files/download?path=" + dir + "/empty", "", {{"Range", "bytes=0-"}});
		CPPUNIT_ASSERT_EQUAL(416, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("bytes */0"), r.header("Content-Range"));
	}

	void testDownloadConditional()
	{
		std::string dir = scratch();
		writeFile(dir + "/f", "0123456789");
		HttpResult full = request(port(), "GET", "/files/download?path=" + dir + "/f");
		std::string tag = full.header("ETag");
		HttpResult r = request(port(), "GET", "/files/download?path=" + dir + "/f", "", {{"If-None-Match", tag}});
		CPPUNIT_ASSERT_EQUAL(304, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string(""), r.body);
		r = request(port(), "GET", "/files/download?path=" + dir + "/f", "", {{"If-Modified-Since", full.header("Last-Modified")}});
		CPPUNIT_ASSERT_EQUAL(304, r.status);
		// If-Range: a resume of the same version gets the rest, of a changed one the whole file.
		r = request(port(), "GET", "/files/download?path=" + dir + "/f", "", {{"Range", "bytes=4-"}, {"If-Range", tag}});
		CPPUNIT_ASSERT_EQUAL(206, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("456789"), r.body);
		writeFile(dir + "/f", "changed content");
		r = request(port(), "GET", "/files/download?path=" + dir + "/f", "", {{"Range", "bytes=4-"}, {"If-Range", tag}});
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("changed content"), r.body);
		r = request(port(), "GET", "/files/download?path=" + dir + "/f", "", {{"If-None-Match", tag}});
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		r = request(port(), "GET", "/files/download?path=" + dir + "/f", "", {{"If-Unmodified-Since", "Thu, 01 Jan 1998 00:00:00 GMT"}});
		CPPUNIT_ASSERT_EQUAL(412, r.status);
	}

	void testDirectories()
	{
		std::string dir = scratch();
		HttpResult r = request(port(), "POST", "/directories", "{\"" + dir + "/a/deep\":{\"mode\":700},\"" + dir + "/b\":{\"mode\":0}}");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("0"), r.header("Content-Length"));
		struct stat st;
		::stat((dir + "/a/deep").c_str(), &st);
		CPPUNIT_ASSERT_EQUAL(0700u, static_cast<unsigned>(st.st_mode & 0777));
		CPPUNIT_ASSERT_EQUAL(200, request(port(), "POST", "/directories", "{\"" + dir + "/b\":{\"mode\":755}}").status);
		writeFile(dir + "/a/x.txt", "");
		writeFile(dir + "/a/y.txt", "");
		writeFile(dir + "/b.txt", "");
		writeFile(dir + "/.dot", "");
		::symlink(dir.c_str(), (dir + "/zlink").c_str());
		auto list = [&](const std::string& query) { return request(port(), "GET", "/directories/list?path=" + dir + query); };
		CPPUNIT_ASSERT_EQUAL(std::string(".dot,a,a/deep,a/x.txt,a/y.txt,b,b.txt,zlink"), joined(paths(list("&depth=2")), dir));
		CPPUNIT_ASSERT_EQUAL(std::string(".dot,a,b,b.txt,zlink"), joined(paths(list("")), dir));
		CPPUNIT_ASSERT_EQUAL(std::string("[]"), list("&depth=0").body);
		CPPUNIT_ASSERT(list("").body.find("\"path\":\"" + dir + "/zlink\",\"type\":\"symlink\"") != std::string::npos);
		r = list("&depth=-1");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"INVALID_REQUEST_BODY\",\"message\":\"invalid query parameter 'depth': -1\"}"), r.body);
		CPPUNIT_ASSERT_EQUAL(400, list("&depth=x").status);
		r = request(port(), "GET", "/directories/list?path=" + dir + "/zlink");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT(r.body.find("symbolic link") != std::string::npos);
		CPPUNIT_ASSERT_EQUAL(400, request(port(), "GET", "/directories/list?path=" + dir + "/b.txt").status);
		CPPUNIT_ASSERT_EQUAL(404, request(port(), "GET", "/directories/list?path=" + dir + "/nope").status);
		CPPUNIT_ASSERT_EQUAL(400, request(port(), "GET", "/directories/list").status);
		// A file in the way of mkdir.
		CPPUNIT_ASSERT_EQUAL(500, request(port(), "POST", "/directories", "{\"" + dir + "/b.txt/sub\":{}}").status);
		// rm -rf; missing is fine; "." is refused.
		r = request(port(), "DELETE", "/directories?path=" + dir + "/a&path=" + dir + "/missing");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("0"), r.header("Content-Length"));
		CPPUNIT_ASSERT(!exists(dir + "/a"));
		CPPUNIT_ASSERT_EQUAL(500, request(port(), "DELETE", "/directories?path=" + dir + "/.").status);
		CPPUNIT_ASSERT_EQUAL(200, request(port(), "DELETE", "/directories?path=" + dir).status);
		CPPUNIT_ASSERT(!exists(dir));
	}

	void testBadInput()
	{
		std::string dir = scratch();
		HttpResult r = request(port(), "GET", "/files/info?path=" + dir + "/a%00b");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("INVALID_REQUEST_BODY"), errorCode(r));
		r = request(port(), "POST", "/files/mv", "[{\"src\":\"" + dir + "\\u0000\",\"dest\":\"/x\"}]");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		for (const char* path: {"/files/permissions", "/files/mv", "/files/replace", "/directories"})
		{
			r = request(port(), "POST", path, "{not json");
			CPPUNIT_ASSERT_EQUAL_MESSAGE(path, 400, r.status);
			CPPUNIT_ASSERT(object(r.body)->getValue<std::string>("message").find("error parsing request, MAYBE invalid body format.") == 0);
			r = request(port(), "POST", path, "");
			CPPUNIT_ASSERT_EQUAL_MESSAGE(path, 400, r.status);
		}
		CPPUNIT_ASSERT_EQUAL(400, request(port(), "POST", "/files/replace", "{\"/x\":5}").status);
		// Trailing slash: Gin's redirect.
		CPPUNIT_ASSERT_EQUAL(301, request(port(), "GET", "/files/info/").status);
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(IntegrationFilesTest);
