// The files module against a real filesystem over real HTTP.

#include "ExecdProcess.h"
#include "Poco/DeflatingStream.h"
#include "Poco/DigestEngine.h"
#include "Poco/InflatingStream.h"
#include "Poco/File.h"
#include "Poco/JSON/Array.h"
#include "Poco/JSON/Object.h"
#include "Poco/JSON/Parser.h"
#include "Poco/Net/SocketAddress.h"
#include "Poco/Net/StreamSocket.h"
#include "Poco/SHA2Engine.h"
#include <cppunit/extensions/HelperMacros.h>
#include <algorithm>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <vector>
#include <thread>
#include <unistd.h>


using namespace execd::test;


namespace {


ExecdProcess::Options filesOnly()
	/// Options for an execd with the files module alone.
{
	ExecdProcess::Options o;
	o.testModules = false;
	o.properties = {"execd.modules.load = files"};
	return o;
}


ExecdProcess& daemon()
{
	static std::unique_ptr<ExecdProcess> pExecd;
	ExecdProcess::Options o = filesOnly();
	o.env = {{"EXECD_TEST_DIR_VAR", "/tmp"}};
	return ExecdProcess::keep(pExecd, o);
}


int port()
{
	return daemon().port();
}


std::vector<std::string>& scratchDirectories()
{
	static std::vector<std::string> dirs;
	return dirs;
}


std::string newDirectory()
{
	char dir[] = "/tmp/execd-files-XXXXXX";
	CPPUNIT_ASSERT(::mkdtemp(dir));
	return dir;
}


std::string scratch()
	/// A fresh directory for one test, removed by the fixture's tearDown().
{
	std::string dir = newDirectory();
	scratchDirectories().push_back(dir);
	return dir;
}


void removeScratch()
{
	for (const std::string& dir: scratchDirectories())
	{
		try
		{
			Poco::File(dir).remove(true);   // root: whatever modes the test left
		}
		catch (Poco::Exception&)
		{
		}
	}
	scratchDirectories().clear();
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


std::string repeated(const std::string& text, std::size_t times)
{
	std::string out;
	for (std::size_t i = 0; i < times; ++i) out += text;
	return out;
}


std::string chain(const std::string& root, std::size_t components)
	/// root/q/q/... with components components in all.
{
	std::size_t have = static_cast<std::size_t>(std::count(root.begin(), root.end(), '/'));
	return root + repeated("/q", components - have);
}


void makeDeepTree(const std::string& root, std::size_t levels, const std::string& leaf)
	/// root/q/q/.../q (levels directories) with the file leaf at the bottom, made
	/// through descriptors as a user's program would, past PATH_MAX.
{
	int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY);
	CPPUNIT_ASSERT(fd >= 0);
	for (std::size_t i = 0; i < levels; ++i)
	{
		CPPUNIT_ASSERT(::mkdirat(fd, "q", 0755) == 0);
		int child = ::openat(fd, "q", O_RDONLY | O_DIRECTORY);
		CPPUNIT_ASSERT(child >= 0);
		::close(fd);
		fd = child;
	}
	int file = ::openat(fd, leaf.c_str(), O_WRONLY | O_CREAT, 0644);
	CPPUNIT_ASSERT(file >= 0);
	::close(file);
	::close(fd);
}


long cpuTicks(pid_t pid)
	/// utime + stime of a process, in clock ticks.
{
	std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
	std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
	std::istringstream fields(text.substr(text.rfind(')') + 2));
	std::string field;
	long ticks = 0;
	for (int i = 3; i <= 15 && fields >> field; ++i)
		if (i >= 14) ticks += std::stol(field);
	return ticks;
}


HttpResult get(int port, const std::string& target, std::chrono::milliseconds timeout)
	/// A GET that gives up after timeout (status 0 then).
{
	return rawRequest(port, "GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", timeout);
}


long procField(pid_t pid, const std::string& file, const std::string& key)
	/// The number after "key:" in /proc/<pid>/<file> (status: kB, io: bytes); -1 if absent.
{
	std::ifstream in("/proc/" + std::to_string(pid) + "/" + file);
	std::string line;
	while (std::getline(in, line))
		if (line.compare(0, key.size() + 1, key + ":") == 0) return std::stol(line.substr(key.size() + 1));
	return -1;
}


HttpResult lines(const std::string& path, const std::string& query, const std::map<std::string, std::string>& headers = {})
	/// GET /files/download?path=<path><query> on the suite's daemon.
{
	return request(port(), "GET", "/files/download?path=" + pct(path) + query, "", headers);
}


std::string lineWindowError(const std::string& message)
{
	return "{\"code\":\"INVALID_REQUEST_BODY\",\"message\":\"" + message + "\"}";
}


long long readSome(int port, const std::string& target, long long bytes, std::string& start)
	/// GETs target and reads up to bytes of the answer (head included) as fast as
	/// they come, then closes the connection with the rest unread. start gets the
	/// first 4 KiB. Returns how many bytes arrived.
{
	Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)));
	socket.setReceiveTimeout(Poco::Timespan(20, 0));
	std::string head = "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n";
	socket.sendBytes(head.data(), static_cast<int>(head.size()));
	std::vector<char> buffer(1 << 20);
	long long received = 0;
	while (received < bytes)
	{
		int got = socket.receiveBytes(buffer.data(), static_cast<int>(buffer.size()));
		if (got <= 0) break;
		if (start.size() < 4096) start.append(buffer.data(), std::min<std::size_t>(static_cast<std::size_t>(got), 4096 - start.size()));
		received += got;
	}
	return received;
}


class HugeFile
	/// A 1 GiB text file, made once per run and removed at exit: 1,024 blocks of
	/// 131,072 lines "0000000" ... "0131071" (8 bytes each, the line's number
	/// within its 1 MiB block), then "the last line" without a newline.
{
public:
	static constexpr long long LINES_PER_BLOCK = 131072;
	static constexpr long long BLOCKS = 1024;
	static constexpr long long LINES = LINES_PER_BLOCK * BLOCKS + 1;

	static const HugeFile& get()
	{
		static HugeFile file;
		return file;
	}

	const std::string& path() const
	{
		return _path;
	}

private:
	HugeFile():
		_dir(newDirectory()),   // shared by the tests, removed at exit
		_path(_dir + "/huge.txt")
	{
		std::string block;
		for (long long i = 0; i < LINES_PER_BLOCK; ++i)
		{
			char line[16];
			std::snprintf(line, sizeof(line), "%07lld\n", i);
			block += line;
		}
		int fd = ::open(_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		CPPUNIT_ASSERT(fd >= 0);
		for (long long b = 0; b < BLOCKS; ++b)
			CPPUNIT_ASSERT(::write(fd, block.data(), block.size()) == static_cast<ssize_t>(block.size()));
		const std::string last = "the last line";
		CPPUNIT_ASSERT(::write(fd, last.data(), last.size()) == static_cast<ssize_t>(last.size()));
		::close(fd);
	}

	~HugeFile()
	{
		::unlink(_path.c_str());
		::rmdir(_dir.c_str());
	}

	std::string _dir;
	std::string _path;
};


ExecdProcess& limitedDaemon()
	/// A daemon with small walk and replace limits, and few descriptors.
{
	static std::unique_ptr<ExecdProcess> pExecd;
	ExecdProcess::Options o = filesOnly();
	o.properties.push_back("module.files.walkMaxEntries = 50");
	o.properties.push_back("module.files.replaceMaxBytes = 1000");
	struct rlimit saved;
	::getrlimit(RLIMIT_NOFILE, &saved);
	struct rlimit few = saved;
	few.rlim_cur = 128;   // inherited: a walk that kept a descriptor per level would run out
	::setrlimit(RLIMIT_NOFILE, &few);
	ExecdProcess& execd = ExecdProcess::keep(pExecd, o);
	::setrlimit(RLIMIT_NOFILE, &saved);
	return execd;
}


} // namespace


class IntegrationFilesTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(IntegrationFilesTest);
	CPPUNIT_TEST(testInfo);
	CPPUNIT_TEST(testDeleteFiles);
	CPPUNIT_TEST(testPermissions);
	CPPUNIT_TEST(testPermissionsApplyOnlyWhatIsGiven);
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
	CPPUNIT_TEST(testDownloadLineWindow);
	CPPUNIT_TEST(testDownloadLineWindowErrors);
	CPPUNIT_TEST(testDownloadLineWindowLongLines);
	CPPUNIT_TEST(testLineWindowOfHugeFileInBoundedMemory);
	CPPUNIT_TEST(testLineWindowStopsWhenClientLeaves);
	CPPUNIT_TEST(testDownloadRanges);
	CPPUNIT_TEST(testGzipTransfer);
	CPPUNIT_TEST(testDownloadConditional);
	CPPUNIT_TEST(testDirectories);
	CPPUNIT_TEST(testMakeDirectoriesLeavesExistingOnesAlone);
	CPPUNIT_TEST(testUploadOwnershipAndParents);
	CPPUNIT_TEST(testBadInput);
	CPPUNIT_TEST(testDeepPathsAreRefused);
	CPPUNIT_TEST(testPathLengthLimit);
	CPPUNIT_TEST(testDeepCwdIsRefused);
	CPPUNIT_TEST(testDeepTreeIsWalkedAndRemoved);
	CPPUNIT_TEST(testPatternLimits);
	CPPUNIT_TEST(testBacktrackingPatternFinishes);
	CPPUNIT_TEST(testSearchStopsWhenClientLeaves);
	CPPUNIT_TEST(testWalkEntryLimit);
	CPPUNIT_TEST(testSpecialFilesAreRefused);
	CPPUNIT_TEST(testReplaceSizeLimit);
	CPPUNIT_TEST_SUITE_END();

public:
	void tearDown() override
	{
		removeScratch();
	}

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
		// Mode only: the owner stays (the newer contract, §5.2; before, ownership went
		// back to execd's user); 4700 keeps 9 bits.
		r = request(port(), "POST", "/files/permissions", "{\"" + dir + "/run.sh\":{\"Mode\":4700}}");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		::stat((dir + "/run.sh").c_str(), &st);
		CPPUNIT_ASSERT_EQUAL(0700u, static_cast<unsigned>(st.st_mode & 07777));
		CPPUNIT_ASSERT_EQUAL(65534u, static_cast<unsigned>(st.st_uid));
		CPPUNIT_ASSERT_EQUAL(65534u, static_cast<unsigned>(st.st_gid));
		r = request(port(), "POST", "/files/permissions", "{\"" + dir + "/missing\":{\"mode\":644}}");
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		CPPUNIT_ASSERT_EQUAL("{\"code\":\"RUNTIME_ERROR\",\"message\":\"error changing permissions for " + dir + "/missing. chmod " + dir + "/missing: no such file or directory\"}", r.body);
		r = request(port(), "POST", "/files/permissions", "{\"" + dir + "/run.sh\":{\"mode\":789}}");
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		CPPUNIT_ASSERT_EQUAL("{\"code\":\"RUNTIME_ERROR\",\"message\":\"error changing permissions for " + dir + "/run.sh. strconv.ParseUint: parsing \\\"789\\\": invalid syntax\"}", r.body);
		r = request(port(), "POST", "/files/permissions", "{\"" + dir + "/run.sh\":{\"mode\":\"755\"}}");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		r = request(port(), "POST", "/files/permissions", "[1]");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT_EQUAL(200, request(port(), "POST", "/files/permissions", "null").status);
	}

	void testPermissionsApplyOnlyWhatIsGiven()
	{
		// The newer contract (§5.2): no owner and no group, no chown at all; names
		// looked up as names; an unknown one is a 500; mode 0 on a missing file is
		// no system call, so 200.
		std::string dir = scratch();
		writeFile(dir + "/f", "x");
		::chown((dir + "/f").c_str(), 65534, 65534);
		::chmod((dir + "/f").c_str(), 0600);
		auto permissions = [&](const std::string& path, const std::string& permission) {
			return request(port(), "POST", "/files/permissions", "{\"" + path + "\":" + permission + "}");
		};
		auto owner = [&](const std::string& path) {
			struct stat st;
			CPPUNIT_ASSERT(::stat(path.c_str(), &st) == 0);
			return std::to_string(st.st_uid) + ":" + std::to_string(st.st_gid) + " " + std::to_string(st.st_mode & 0777);
		};
		HttpResult r = permissions(dir + "/f", "{\"mode\":640}");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("65534:65534 ") + std::to_string(0640), owner(dir + "/f"));
		for (const char* nothing: {"{\"mode\":0}", "{}", "null", "{\"owner\":\"\",\"group\":\"\"}"})
		{
			r = permissions(dir + "/missing", nothing);
			CPPUNIT_ASSERT_EQUAL_MESSAGE(nothing, 200, r.status);
			CPPUNIT_ASSERT_EQUAL(std::string("0"), r.header("Content-Length"));
		}
		// One name given: the other id stays.
		::chown((dir + "/f").c_str(), 0, 0);
		CPPUNIT_ASSERT_EQUAL(200, permissions(dir + "/f", "{\"owner\":\"nobody\"}").status);
		CPPUNIT_ASSERT_EQUAL(std::string("65534:0 ") + std::to_string(0640), owner(dir + "/f"));
		CPPUNIT_ASSERT_EQUAL(200, permissions(dir + "/f", "{\"group\":\"nogroup\"}").status);
		CPPUNIT_ASSERT_EQUAL(std::string("65534:65534 ") + std::to_string(0640), owner(dir + "/f"));
		// Unknown names: 500 with Go's words. The mode is applied first, as upstream.
		r = permissions(dir + "/f", "{\"owner\":\"nosuchuser\",\"mode\":604}");
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		CPPUNIT_ASSERT_EQUAL("{\"code\":\"RUNTIME_ERROR\",\"message\":\"error changing permissions for " + dir + "/f. failed to lookup user nosuchuser: user: unknown user nosuchuser\"}", r.body);
		CPPUNIT_ASSERT_EQUAL(std::string("65534:65534 ") + std::to_string(0604), owner(dir + "/f"));
		r = permissions(dir + "/f", "{\"owner\":\"root\",\"group\":\"nosuchgroup\"}");
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		CPPUNIT_ASSERT_EQUAL("{\"code\":\"RUNTIME_ERROR\",\"message\":\"error changing permissions for " + dir + "/f. failed to lookup group nosuchgroup: group: unknown group nosuchgroup\"}", r.body);
		CPPUNIT_ASSERT_EQUAL(std::string("65534:65534 ") + std::to_string(0604), owner(dir + "/f"));   // nothing chowned
		// A numeric string is a name, and there is no user called 0.
		r = permissions(dir + "/f", "{\"owner\":\"0\"}");
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		CPPUNIT_ASSERT_EQUAL("{\"code\":\"RUNTIME_ERROR\",\"message\":\"error changing permissions for " + dir + "/f. failed to lookup user 0: user: unknown user 0\"}", r.body);
		// An owner for a missing file: the chown fails.
		r = permissions(dir + "/missing", "{\"owner\":\"root\"}");
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		CPPUNIT_ASSERT_EQUAL("{\"code\":\"RUNTIME_ERROR\",\"message\":\"error changing permissions for " + dir + "/missing. failed to set owner/group for "
			+ dir + "/missing: chown " + dir + "/missing: no such file or directory\"}", r.body);
		// The message names the path as it was sent, the cause the resolved one.
		std::string raw = "$EXECD_TEST_DIR_VAR" + dir.substr(4) + "/missing";
		r = permissions(raw, "{\"mode\":644}");
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		CPPUNIT_ASSERT_EQUAL("{\"code\":\"RUNTIME_ERROR\",\"message\":\"error changing permissions for " + raw + ". chmod " + dir + "/missing: no such file or directory\"}", r.body);
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

	static std::string gzip(const std::string& data)
	{
		std::ostringstream out;
		Poco::DeflatingOutputStream deflate(out, Poco::DeflatingStreamBuf::STREAM_GZIP, 6);
		deflate << data;
		deflate.close();
		return out.str();
	}

	static std::string gunzip(const std::string& data)
	{
		std::istringstream in(data);
		Poco::InflatingInputStream inflate(in, Poco::InflatingStreamBuf::STREAM_GZIP);
		std::ostringstream out;
		out << inflate.rdbuf();
		return out.str();
	}

	void testGzipTransfer()
	{
		std::string dir = scratch();
		std::string text;
		for (int i = 0; i < 40000; ++i) text += "line " + std::to_string(i) + " of a compressible file\n";
		writeFile(dir + "/t.txt", text);
		const std::string target = "/files/download?path=" + dir + "/t.txt";
		HttpResult r = request(port(), "GET", target, "", {{"Accept-Encoding", "deflate, gzip;q=0.5"}});
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("gzip"), r.header("Content-Encoding"));
		CPPUNIT_ASSERT_EQUAL(std::string("Accept-Encoding"), r.header("Vary"));
		CPPUNIT_ASSERT_EQUAL(std::string("chunked"), r.header("Transfer-Encoding"));
		CPPUNIT_ASSERT(!r.hasHeader("Content-Length"));
		CPPUNIT_ASSERT(!r.hasHeader("Accept-Ranges"));
		CPPUNIT_ASSERT(r.body.size() < text.size() / 4);
		CPPUNIT_ASSERT(gunzip(r.body) == text);
		const std::string plainTag = request(port(), "GET", "/files/info?path=" + dir + "/t.txt").header("ETag");
		const std::string tag = r.header("ETag");
		CPPUNIT_ASSERT_EQUAL(plainTag.substr(0, plainTag.size() - 1) + "-gzip\"", tag);
		CPPUNIT_ASSERT_EQUAL(304, request(port(), "GET", target, "", {{"Accept-Encoding", "gzip"}, {"If-None-Match", tag}}).status);

		// Not for ranges, nor for a client that refuses it or does not ask.
		r = request(port(), "GET", target, "", {{"Accept-Encoding", "gzip"}, {"Range", "bytes=0-3"}});
		CPPUNIT_ASSERT_EQUAL(206, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("line"), r.body);
		CPPUNIT_ASSERT(!r.hasHeader("Content-Encoding"));
		for (const char* refused: {"gzip;q=0", "identity", "br", "gzip;q=0, *"})
		{
			r = request(port(), "GET", target, "", {{"Accept-Encoding", refused}});
			CPPUNIT_ASSERT_MESSAGE(refused, !r.hasHeader("Content-Encoding"));
			CPPUNIT_ASSERT_EQUAL(std::to_string(text.size()), r.header("Content-Length"));
		}
		r = request(port(), "GET", target);
		CPPUNIT_ASSERT(!r.hasHeader("Content-Encoding"));
		CPPUNIT_ASSERT(r.body == text);
		// Not what would not shrink: random bytes, and tiny files, go plain (sendfile).
		std::string noise(200000, '\0');
		unsigned state = 7;
		for (char& c: noise) c = static_cast<char>((state = state * 1103515245u + 12345u) >> 24);
		writeFile(dir + "/noise.bin", noise);
		writeFile(dir + "/tiny.txt", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
		for (const char* name: {"/noise.bin", "/tiny.txt"})
		{
			r = request(port(), "GET", "/files/download?path=" + dir + name, "", {{"Accept-Encoding", "gzip"}});
			CPPUNIT_ASSERT_MESSAGE(name, !r.hasHeader("Content-Encoding"));
			CPPUNIT_ASSERT(r.hasHeader("Content-Length"));
		}
		CPPUNIT_ASSERT(request(port(), "GET", "/files/download?path=" + dir + "/noise.bin", "", {{"Accept-Encoding", "gzip"}}).body == noise);

		// Uploads: a gzip-encoded multipart body is inflated as it is read.
		r = upload(gzip(multipart({meta("{\"path\":\"" + dir + "/up.txt\"}"), file(text)})), {{"Content-Encoding", "gzip"}});
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT(readFile(dir + "/up.txt") == text);
		r = upload(multipart({meta("{\"path\":\"" + dir + "/br.txt\"}"), file("x")}), {{"Content-Encoding", "br"}});
		CPPUNIT_ASSERT_EQUAL(415, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("INVALID_FILE"), errorCode(r));
		r = upload("this is not gzip at all", {{"Content-Encoding", "gzip"}});
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("INVALID_FILE"), errorCode(r));
		std::string cut = gzip(multipart({meta("{\"path\":\"" + dir + "/cut.txt\"}"), file(text)}));
		r = upload(cut.substr(0, cut.size() / 2), {{"Content-Encoding", "gzip"}});
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT(!Poco::File(dir + "/cut.txt").exists());
	}

	void testDownloadLineWindow()
	{
		// The newer contract (§5.1): with offset or limit, lines as text/plain,
		// 1-based, joined by \n, without a trailing newline.
		std::string dir = scratch();
		writeFile(dir + "/f", "line1\nline2\nline3");
		HttpResult r = lines(dir + "/f", "&offset=2&limit=2");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("line2\nline3"), r.body);
		CPPUNIT_ASSERT_EQUAL(std::string("text/plain; charset=utf-8"), r.header("Content-Type"));
		CPPUNIT_ASSERT_EQUAL(std::string("11"), r.header("Content-Length"));   // short: sized, as Go does
		for (const char* absent: {"Content-Disposition", "Accept-Ranges", "Last-Modified", "ETag", "Transfer-Encoding"})
			CPPUNIT_ASSERT_MESSAGE(absent, !r.hasHeader(absent));
		CPPUNIT_ASSERT_EQUAL(std::string("line1\nline2"), lines(dir + "/f", "&limit=2").body);
		CPPUNIT_ASSERT_EQUAL(std::string("line3"), lines(dir + "/f", "&offset=3").body);
		CPPUNIT_ASSERT_EQUAL(std::string("line3"), lines(dir + "/f", "&offset=%2B3&limit=%2B100").body);   // "+3": Go's ParseInt takes a sign
		CPPUNIT_ASSERT_EQUAL(std::string("line2"), lines(dir + "/f", "&offset=2&limit=1&limit=9").body);   // the first value counts
		// Past the end: 200, empty.
		r = lines(dir + "/f", "&offset=100");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string(""), r.body);
		CPPUNIT_ASSERT_EQUAL(std::string("0"), r.header("Content-Length"));
		CPPUNIT_ASSERT_EQUAL(std::string("text/plain; charset=utf-8"), r.header("Content-Type"));
		// Every trailing \r of a line goes, inner ones stay; empty lines stay; a
		// final \n adds no empty line; bytes pass as they are.
		writeFile(dir + "/crlf", "a\r\nb\r\r\n\r\nc\rd\r\n\ne\r");
		CPPUNIT_ASSERT_EQUAL(std::string("a\nb\n\nc\rd\n\ne"), lines(dir + "/crlf", "&offset=1").body);
		CPPUNIT_ASSERT_EQUAL(std::string("\nc\rd"), lines(dir + "/crlf", "&offset=3&limit=2").body);
		writeFile(dir + "/nl", "x\ny\n");
		CPPUNIT_ASSERT_EQUAL(std::string("x\ny"), lines(dir + "/nl", "&limit=10").body);
		CPPUNIT_ASSERT_EQUAL(std::string(""), lines(dir + "/nl", "&offset=3").body);
		writeFile(dir + "/bin", std::string("\0\xff\xfe\n\x80", 5));
		CPPUNIT_ASSERT_EQUAL(std::string("\0\xff\xfe\n\x80", 5), lines(dir + "/bin", "&offset=1").body);
		writeFile(dir + "/empty", "");
		r = lines(dir + "/empty", "&offset=1");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string(""), r.body);
		// A directory opens and reads as nothing (upstream's quirk).
		r = lines(dir, "&offset=1");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string(""), r.body);
		CPPUNIT_ASSERT_EQUAL(std::string("text/plain; charset=utf-8"), r.header("Content-Type"));
		// An empty Range header is no Range; empty offset and limit are no window.
		CPPUNIT_ASSERT_EQUAL(std::string("line2"), lines(dir + "/f", "&offset=2&limit=1", {{"Range", ""}}).body);
		r = lines(dir + "/f", "&offset=&limit=");
		CPPUNIT_ASSERT_EQUAL(std::string("line1\nline2\nline3"), r.body);
		CPPUNIT_ASSERT_EQUAL(std::string("application/octet-stream"), r.header("Content-Type"));
	}

	void testDownloadLineWindowErrors()
	{
		// Checked in the contract's order: path, Range, open, offset, limit.
		std::string dir = scratch();
		writeFile(dir + "/f", "a\nb\n");
		const std::string exclusive = lineWindowError("line-based reading (offset/limit) and byte range (Range header) are mutually exclusive");
		for (const char* query: {"&offset=1", "&limit=1", "&offset=abc"})
		{
			HttpResult r = lines(dir + "/missing", query, {{"Range", "bytes=0-1"}});   // beats the 404
			CPPUNIT_ASSERT_EQUAL_MESSAGE(query, 400, r.status);
			CPPUNIT_ASSERT_EQUAL(exclusive, r.body);
			r = lines(dir + "/f", query, {{"Range", "bytes=0-1"}});
			CPPUNIT_ASSERT_EQUAL(exclusive, r.body);
		}
		HttpResult r = request(port(), "GET", "/files/download?offset=1");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("MISSING_QUERY"), errorCode(r));
		r = lines(dir + "/missing", "&offset=abc");   // opened before the values are parsed
		CPPUNIT_ASSERT_EQUAL(404, r.status);
		CPPUNIT_ASSERT_EQUAL("{\"code\":\"FILE_NOT_FOUND\",\"message\":\"file not found. open " + dir + "/missing: no such file or directory\"}", r.body);
		struct Case
		{
			const char* query;
			const char* message;
		};
		for (const Case& c: {Case{"&offset=0", "invalid query parameter 'offset': 0"}, Case{"&offset=-1", "invalid query parameter 'offset': -1"},
			Case{"&offset=abc", "invalid query parameter 'offset': abc"}, Case{"&offset=1.5", "invalid query parameter 'offset': 1.5"},
			Case{"&offset=%203", "invalid query parameter 'offset':  3"}, Case{"&offset=3%20", "invalid query parameter 'offset': 3 "},
			Case{"&offset=0x10", "invalid query parameter 'offset': 0x10"}, Case{"&offset=99999999999999999999", "invalid query parameter 'offset': 99999999999999999999"},
			Case{"&limit=0", "invalid query parameter 'limit': 0"}, Case{"&limit=-5", "invalid query parameter 'limit': -5"},
			Case{"&offset=2&limit=two", "invalid query parameter 'limit': two"}, Case{"&offset=x&limit=y", "invalid query parameter 'offset': x"}})
		{
			r = lines(dir + "/f", c.query);
			CPPUNIT_ASSERT_EQUAL_MESSAGE(c.query, 400, r.status);
			CPPUNIT_ASSERT_EQUAL_MESSAGE(c.query, lineWindowError(c.message), r.body);
			r = lines(dir, c.query);   // a directory too
			CPPUNIT_ASSERT_EQUAL_MESSAGE(c.query, 400, r.status);
		}
		// A FIFO would block: refused as in a whole download.
		std::string fifo = dir + "/fifo";
		CPPUNIT_ASSERT(::mkfifo(fifo.c_str(), 0644) == 0);
		r = get(port(), "/files/download?path=" + fifo + "&offset=1", std::chrono::seconds(5));
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT_EQUAL(lineWindowError("path is not a regular file: " + fifo), r.body);
		// The connection is still good after all of these.
		CPPUNIT_ASSERT_EQUAL(std::string("b"), lines(dir + "/f", "&offset=2").body);
	}

	void testDownloadLineWindowLongLines()
	{
		// Lines have no length limit and are never held whole: a 5 MiB line passes,
		// runs of \r across read boundaries are judged right, a long body is chunked.
		std::string dir = scratch();
		std::string longLine(5 << 20, 'x');
		for (std::size_t i = 0; i < longLine.size(); i += 4099) longLine[i] = static_cast<char>('a' + i % 26);
		std::string returns(200000, '\r');
		writeFile(dir + "/f", "first\n" + longLine + "\r\n" + returns + "inner" + returns + "\nlast" + returns);
		HttpResult r = lines(dir + "/f", "&offset=2&limit=1");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT(r.body == longLine);
		CPPUNIT_ASSERT_EQUAL(std::string("chunked"), r.header("Transfer-Encoding"));
		CPPUNIT_ASSERT(!r.hasHeader("Content-Length"));
		CPPUNIT_ASSERT_EQUAL(std::string("text/plain; charset=utf-8"), r.header("Content-Type"));
		r = lines(dir + "/f", "&offset=3");
		CPPUNIT_ASSERT(r.body == returns + "inner\nlast");
		r = lines(dir + "/f", "&offset=1");
		CPPUNIT_ASSERT_EQUAL(sha256("first\n" + longLine + "\n" + returns + "inner\nlast"), sha256(r.body));
		// An HTTP/1.0 client cannot read chunks: the long window is close-delimited.
		r = rawRequest(port(), "GET /files/download?path=" + pct(dir + "/f") + "&offset=2&limit=1 HTTP/1.0\r\n\r\n", std::chrono::seconds(20), true);
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT(!r.hasHeader("Transfer-Encoding"));
		CPPUNIT_ASSERT(r.rawBody == longLine);
	}

	void testLineWindowOfHugeFileInBoundedMemory()
	{
		// Issue #14 item 5: a window near the end of a 1 GiB file is read in pieces,
		// the lines before it counted and dropped: execd's resident memory grows by
		// at most 8 MB, also while the whole file streams out as a window.
		const HugeFile& huge = HugeFile::get();
		ExecdProcess execd(filesOnly());
		const pid_t pid = execd.pid();
		const long before = procField(pid, "status", "VmRSS");
		{
			std::ofstream clear("/proc/" + std::to_string(pid) + "/clear_refs");
			clear << "5";   // VmHWM := VmRSS, so the peak below is this test's
		}
		const std::string target = "/files/download?path=" + pct(huge.path());
		const long long n = HugeFile::LINES;
		HttpResult r = request(execd.port(), "GET", target + "&offset=" + std::to_string(n - 3) + "&limit=3");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("0131069\n0131070\n0131071"), r.body);
		CPPUNIT_ASSERT_EQUAL(std::string("text/plain; charset=utf-8"), r.header("Content-Type"));
		CPPUNIT_ASSERT_EQUAL(std::string("the last line"), request(execd.port(), "GET", target + "&offset=" + std::to_string(n)).body);
		r = request(execd.port(), "GET", target + "&offset=" + std::to_string(n + 1));
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string(""), r.body);
		r = request(execd.port(), "GET", target + "&offset=" + std::to_string(HugeFile::LINES_PER_BLOCK * 700 + 5) + "&limit=2");
		CPPUNIT_ASSERT_EQUAL(std::string("0000004\n0000005"), r.body);
		// The whole file as one window, read by a client that keeps up: 256 MiB of it.
		std::string start;
		CPPUNIT_ASSERT(readSome(execd.port(), target + "&offset=1", 256LL << 20, start) >= (256LL << 20));
		CPPUNIT_ASSERT_MESSAGE(start.substr(0, 200), start.find("HTTP/1.1 200 OK\r\n") == 0);
		CPPUNIT_ASSERT(start.find("\r\nTransfer-Encoding: chunked\r\n") != std::string::npos);
		CPPUNIT_ASSERT(start.find("\r\n\r\n10000\r\n0000000\n0000001\n") != std::string::npos);   // 64 KiB chunks
		const long peak = procField(pid, "status", "VmHWM");
		const long after = procField(pid, "status", "VmRSS");
		CPPUNIT_ASSERT(before > 0 && peak > 0);
		CPPUNIT_ASSERT_MESSAGE("VmRSS " + std::to_string(before) + " kB before, peak " + std::to_string(peak) + " kB, " + std::to_string(after) + " kB after",
			peak - before <= 8 * 1024);
		CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "GET", target + "&limit=1").status);
	}

	void testLineWindowStopsWhenClientLeaves()
	{
		// A client that leaves stops the work: while lines are skipped (nothing is
		// written, so only a look at the socket notices) and while they stream.
		const HugeFile& huge = HugeFile::get();
		ExecdProcess execd(filesOnly());
		const pid_t pid = execd.pid();
		const std::string target = "/files/download?path=" + pct(huge.path());
		auto settledReads = [pid] {
			// rchar once it has stopped moving for 300 ms (at most 10 s).
			long last = procField(pid, "io", "rchar");
			for (int i = 0; i < 100; ++i)
			{
				std::this_thread::sleep_for(std::chrono::milliseconds(300));
				long now = procField(pid, "io", "rchar");
				if (now == last) break;
				last = now;
			}
			return last;
		};
		const long start = settledReads();
		{
			// Past the end: the whole file would be read before the first byte is sent.
			Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(execd.port())));
			std::string head = "GET " + target + "&offset=" + std::to_string(HugeFile::LINES + 1) + " HTTP/1.1\r\nHost: x\r\n\r\n";
			socket.sendBytes(head.data(), static_cast<int>(head.size()));
			std::this_thread::sleep_for(std::chrono::milliseconds(20));
		}
		const long skipped = settledReads();
		CPPUNIT_ASSERT_MESSAGE("read " + std::to_string(skipped - start) + " bytes for a client that had left", skipped - start < (256L << 20));
		std::string head;
		CPPUNIT_ASSERT(readSome(execd.port(), target + "&offset=1", 16LL << 20, head) >= (16LL << 20));
		const long streamed = settledReads();
		CPPUNIT_ASSERT_MESSAGE("read " + std::to_string(streamed - skipped) + " bytes for a client that took 16 MiB", streamed - skipped < (256L << 20));
		// execd is fine and still answers.
		CPPUNIT_ASSERT_EQUAL(std::string("the last line"), request(execd.port(), "GET", target + "&offset=" + std::to_string(HugeFile::LINES)).body);
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

	void testMakeDirectoriesLeavesExistingOnesAlone()
	{
		// The newer contract (§5.3): an existing directory keeps its mode and owner;
		// the directories created get the owner and group, the new leaf the mode.
		std::string dir = scratch();
		auto mkdir = [&](const std::string& path, const std::string& permission) {
			return request(port(), "POST", "/directories", "{\"" + path + "\":" + permission + "}");
		};
		auto describe = [](const std::string& path) {
			struct stat st;
			if (::stat(path.c_str(), &st) != 0) return std::string("missing");
			char text[64];
			std::snprintf(text, sizeof(text), "%u:%u %o", static_cast<unsigned>(st.st_uid), static_cast<unsigned>(st.st_gid), static_cast<unsigned>(st.st_mode & 07777));
			return std::string(text);
		};
		::mkdir((dir + "/old").c_str(), 0700);
		::chown((dir + "/old").c_str(), 65534, 65534);
		HttpResult r = mkdir(dir + "/old", "{\"mode\":755}");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("65534:65534 700"), describe(dir + "/old"));
		CPPUNIT_ASSERT_EQUAL(200, mkdir(dir + "/old", "{\"owner\":\"root\",\"group\":\"root\",\"mode\":777}").status);
		CPPUNIT_ASSERT_EQUAL(std::string("65534:65534 700"), describe(dir + "/old"));
		// Nothing to create, so no name is looked up and no mode parsed.
		CPPUNIT_ASSERT_EQUAL(200, mkdir(dir + "/old", "{\"owner\":\"nosuchuser\",\"mode\":789}").status);
		// New: every created component is owned as asked (0777 & ~umask), the leaf gets the mode; the existing parent stays.
		r = mkdir(dir + "/old/a/b/c", "{\"owner\":\"nobody\",\"group\":\"nogroup\",\"mode\":710}");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("65534:65534 700"), describe(dir + "/old"));
		CPPUNIT_ASSERT_EQUAL(std::string("65534:65534 755"), describe(dir + "/old/a"));
		CPPUNIT_ASSERT_EQUAL(std::string("65534:65534 755"), describe(dir + "/old/a/b"));
		CPPUNIT_ASSERT_EQUAL(std::string("65534:65534 710"), describe(dir + "/old/a/b/c"));
		// Without owner and group the new ones are execd's; mode 0 leaves 0777 & ~umask.
		CPPUNIT_ASSERT_EQUAL(200, mkdir(dir + "/old/a/d/e", "{\"mode\":0}").status);
		CPPUNIT_ASSERT_EQUAL(std::string("0:0 755"), describe(dir + "/old/a/d"));
		CPPUNIT_ASSERT_EQUAL(std::string("0:0 755"), describe(dir + "/old/a/d/e"));
		CPPUNIT_ASSERT_EQUAL(std::string("65534:65534 755"), describe(dir + "/old/a"));
		// Errors are upstream's fileErr: an unknown owner after the directories were
		// made, a bad mode after the leaf was made, a file in the way.
		r = mkdir(dir + "/u/v", "{\"owner\":\"nosuchuser\"}");
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"RUNTIME_ERROR\",\"message\":\"error accessing file: failed to lookup user nosuchuser: user: unknown user nosuchuser\"}"), r.body);
		CPPUNIT_ASSERT_EQUAL(std::string("0:0 755"), describe(dir + "/u/v"));
		r = mkdir(dir + "/m", "{\"mode\":789}");
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"RUNTIME_ERROR\",\"message\":\"error accessing file: strconv.ParseUint: parsing \\\"789\\\": invalid syntax\"}"), r.body);
		CPPUNIT_ASSERT_EQUAL(std::string("0:0 755"), describe(dir + "/m"));
		writeFile(dir + "/file", "");
		r = mkdir(dir + "/file/sub", "{}");
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		CPPUNIT_ASSERT_EQUAL("{\"code\":\"RUNTIME_ERROR\",\"message\":\"error accessing file: mkdir " + dir + "/file: not a directory\"}", r.body);
		CPPUNIT_ASSERT_EQUAL(200, request(port(), "DELETE", "/directories?path=" + dir).status);
	}

	void testUploadOwnershipAndParents()
	{
		// The newer contract (§5.2, §5.3) for uploads: missing parents are created
		// with the metadata's owner and group, existing ones untouched; an existing
		// file keeps its owner without owner/group; an unknown owner fails after the
		// file was written.
		std::string dir = scratch();
		auto describe = [](const std::string& path) {
			struct stat st;
			if (::stat(path.c_str(), &st) != 0) return std::string("missing");
			return std::to_string(st.st_uid) + ":" + std::to_string(st.st_gid);
		};
		writeFile(dir + "/owned.txt", "old");
		::chown((dir + "/owned.txt").c_str(), 65534, 65534);
		HttpResult r = upload(multipart({meta("{\"path\":\"" + dir + "/owned.txt\",\"mode\":640}"), file("new")}));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("new"), readFile(dir + "/owned.txt"));
		CPPUNIT_ASSERT_EQUAL(std::string("65534:65534"), describe(dir + "/owned.txt"));
		r = upload(multipart({meta("{\"path\":\"" + dir + "/p/q/f.txt\",\"owner\":\"nobody\",\"group\":\"nogroup\"}"), file("deep")}));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("0:0"), describe(dir));
		CPPUNIT_ASSERT_EQUAL(std::string("65534:65534"), describe(dir + "/p"));
		CPPUNIT_ASSERT_EQUAL(std::string("65534:65534"), describe(dir + "/p/q"));
		CPPUNIT_ASSERT_EQUAL(std::string("65534:65534"), describe(dir + "/p/q/f.txt"));
		// Into an existing directory with another owner: the directory stays as it is.
		r = upload(multipart({meta("{\"path\":\"" + dir + "/p/root.txt\",\"owner\":\"root\"}"), file("r")}));
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("65534:65534"), describe(dir + "/p"));
		CPPUNIT_ASSERT_EQUAL(std::string("0:0"), describe(dir + "/p/root.txt"));
		// An unknown owner, parent existing: 500 after the file was written.
		r = upload(multipart({meta("{\"path\":\"" + dir + "/written.txt\",\"owner\":\"nosuchuser\"}"), file("written anyway")}));
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		CPPUNIT_ASSERT_EQUAL("{\"code\":\"RUNTIME_ERROR\",\"message\":\"error chmoding file " + dir + "/written.txt. failed to lookup user nosuchuser: user: unknown user nosuchuser\"}", r.body);
		CPPUNIT_ASSERT_EQUAL(std::string("written anyway"), readFile(dir + "/written.txt"));
		// An unknown group, parent missing: the directory fails, nothing is written.
		r = upload(multipart({meta("{\"path\":\"" + dir + "/new/x.txt\",\"group\":\"nosuchgroup\"}"), file("x")}));
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		CPPUNIT_ASSERT_EQUAL("{\"code\":\"RUNTIME_ERROR\",\"message\":\"error creating target directory " + dir + "/new. failed to lookup group nosuchgroup: group: unknown group nosuchgroup\"}", r.body);
		CPPUNIT_ASSERT(!exists(dir + "/new/x.txt"));
		// A file in the way of the parent.
		r = upload(multipart({meta("{\"path\":\"" + dir + "/owned.txt/x\"}"), file("x")}));
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		CPPUNIT_ASSERT_EQUAL("{\"code\":\"RUNTIME_ERROR\",\"message\":\"error creating target directory " + dir + "/owned.txt. mkdir " + dir + "/owned.txt: not a directory\"}", r.body);
		CPPUNIT_ASSERT(leftovers(dir).empty() && leftovers(dir + "/p").empty());
		CPPUNIT_ASSERT_EQUAL(200, request(port(), "DELETE", "/directories?path=" + dir).status);
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

	void testDeepPathsAreRefused()
	{
		// Issue #13.1: ~2,100 components crashed mkdir -p (recursion); now a 400
		// before any work, for every path that creates directories.
		std::string dir = scratch();
		std::string deep = chain(dir, 2100);
		HttpResult r = request(port(), "POST", "/directories", "{\"" + deep + "\":{}}");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 400, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"INVALID_REQUEST_BODY\",\"message\":\"path is too long: " + std::to_string(deep.size()) + " bytes, the limit is 4095 (PATH_MAX)\"}"), r.body);
		r = request(port(), "POST", "/directories", "{\"" + chain(dir, 1500) + "\":{}}");   // 1,500 levels in 3 KB
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"INVALID_REQUEST_BODY\",\"message\":\"path is too deep: 1500 components, the limit is 1024\"}"), r.body);
		CPPUNIT_ASSERT(!exists(dir + "/q"));
		writeFile(dir + "/a.txt", "A");
		r = request(port(), "POST", "/files/mv", "[{\"src\":\"" + dir + "/a.txt\",\"dest\":\"" + deep + "/a.txt\"}]");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("INVALID_REQUEST_BODY"), errorCode(r));
		CPPUNIT_ASSERT(exists(dir + "/a.txt"));
		r = upload(multipart({meta("{\"path\":\"" + deep + "/f\"}"), file("x")}));
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("INVALID_FILE_METADATA"), errorCode(r));
		CPPUNIT_ASSERT(!exists(dir + "/q"));
		// At the limit: made, iteratively; one past it: refused.
		std::string atLimit = chain(dir, 1024);
		r = request(port(), "POST", "/directories", "{\"" + atLimit + "\":{\"mode\":755}}");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
		CPPUNIT_ASSERT(exists(atLimit));
		r = request(port(), "POST", "/directories", "{\"" + atLimit + "/q\":{}}");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		r = upload(multipart({meta("{\"path\":\"" + atLimit.substr(0, atLimit.size() - 2) + "/f\"}"), file("x")}));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
		r = request(port(), "POST", "/files/mv", "[{\"src\":\"" + dir + "/a.txt\",\"dest\":\"" + atLimit.substr(0, atLimit.size() - 2) + "/n/a.txt\"}]");
		CPPUNIT_ASSERT_EQUAL(400, r.status);   // 1025 components
		r = request(port(), "POST", "/files/mv", "[{\"src\":\"" + dir + "/a.txt\",\"dest\":\"" + atLimit.substr(0, atLimit.size() - 2) + "/a.txt\"}]");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
		CPPUNIT_ASSERT_EQUAL(200, request(port(), "DELETE", "/directories?path=" + dir).status);
		CPPUNIT_ASSERT(!exists(dir));
	}

	void testPathLengthLimit()
	{
		// PATH_MAX: 4095 bytes are a path, 4096 are not (for any path parameter).
		std::string dir = scratch();
		std::string atLimit = dir;
		while (atLimit.size() + 201 <= 4095) atLimit += "/" + std::string(200, 'n');
		atLimit += "/" + std::string(4095 - atLimit.size() - 1, 'm');
		CPPUNIT_ASSERT_EQUAL(std::size_t(4095), atLimit.size());
		HttpResult r = request(port(), "POST", "/directories", "{\"" + atLimit + "\":{}}");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
		CPPUNIT_ASSERT(exists(atLimit));
		r = request(port(), "POST", "/directories", "{\"" + atLimit + "x\":{}}");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"INVALID_REQUEST_BODY\",\"message\":\"path is too long: 4096 bytes, the limit is 4095 (PATH_MAX)\"}"), r.body);
		CPPUNIT_ASSERT_EQUAL(200, request(port(), "GET", "/files/info?path=" + atLimit).status);
		for (const char* target: {"/files/info?path=", "/files/download?path=", "/files/search?path=", "/directories/list?path=", "/directories?path="})
		{
			r = request(port(), std::string(target) == "/directories?path=" ? "DELETE" : "GET", target + atLimit + "x");
			CPPUNIT_ASSERT_EQUAL_MESSAGE(target, 400, r.status);
			CPPUNIT_ASSERT_EQUAL(std::string("INVALID_REQUEST_BODY"), errorCode(r));
		}
		CPPUNIT_ASSERT_EQUAL(200, request(port(), "DELETE", "/directories?path=" + dir).status);
	}

	void testDeepCwdIsRefused()
	{
		// The cwd of /session, /pty and /code/context is made with the same
		// iterative mkdir -p and held to the same limits.
		ExecdProcess::Options o;
		o.testModules = false;
		o.properties = {"execd.modules.load = shell, pty"};
		ExecdProcess execd(o);
		std::string dir = scratch();
		for (std::size_t components: {2100, 1500})
		{
			std::string deep = chain(dir, components);
			for (const char* route: {"/session", "/pty", "/code/context"})
			{
				HttpResult r = request(execd.port(), "POST", route, "{\"language\":\"bash\",\"cwd\":\"" + deep + "\"}");
				CPPUNIT_ASSERT_EQUAL_MESSAGE(route + std::string(" ") + r.body, 400, r.status);
				CPPUNIT_ASSERT_EQUAL(std::string("INVALID_REQUEST_BODY"), errorCode(r));
			}
		}
		CPPUNIT_ASSERT(!exists(dir + "/q"));
		std::string atLimit = chain(dir, 1024);
		HttpResult r = request(execd.port(), "POST", "/session", "{\"cwd\":\"" + atLimit + "\"}");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
		CPPUNIT_ASSERT(exists(atLimit));
		CPPUNIT_ASSERT_EQUAL(400, request(execd.port(), "POST", "/pty", "{\"cwd\":\"" + atLimit + "/q\"}").status);
		CPPUNIT_ASSERT_EQUAL(201, request(execd.port(), "POST", "/pty", "{\"cwd\":\"" + atLimit + "\"}").status);
		CPPUNIT_ASSERT(execd.running());
		CPPUNIT_ASSERT_EQUAL(200, request(port(), "DELETE", "/directories?path=" + dir).status);
	}

	void testDeepTreeIsWalkedAndRemoved()
	{
		// Issue #13.2: a tree deeper than any path limit (2,500 levels, paths past
		// PATH_MAX), as a user's command may leave it. Search, list and delete walk it
		// without recursion and with few descriptors (this daemon may open 128).
		const std::size_t levels = 2500;
		std::string dir = scratch();
		makeDeepTree(dir, levels, "bottom.txt");
		int execd = limitedDaemon().port();
		std::string bottom = dir + repeated("/q", levels) + "/bottom.txt";
		HttpResult r = request(port(), "GET", "/files/search?path=" + dir + "&pattern=*.txt");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body.substr(0, 200), 200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), paths(r).size());
		CPPUNIT_ASSERT_EQUAL(bottom, paths(r)[0]);
		r = request(port(), "GET", "/directories/list?path=" + dir + "&depth=100000");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body.substr(0, 200), 200, r.status);
		std::vector<std::string> listed = paths(r);
		CPPUNIT_ASSERT_EQUAL(levels + 1, listed.size());
		CPPUNIT_ASSERT_EQUAL(dir + "/q", listed[0]);
		CPPUNIT_ASSERT_EQUAL(bottom, listed.back());
		r = request(port(), "GET", "/directories/list?path=" + dir + "&depth=3");
		CPPUNIT_ASSERT_EQUAL(std::string("q,q/q,q/q/q"), joined(paths(r), dir));
		// The same with 128 descriptors: the walk keeps at most 32 open.
		r = request(execd, "GET", "/directories/list?path=" + dir + "&depth=40");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body.substr(0, 200), 200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::size_t(40), paths(r).size());
		r = request(execd, "DELETE", "/directories?path=" + dir);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
		CPPUNIT_ASSERT(!exists(dir));
		CPPUNIT_ASSERT(daemon().running());
	}

	void testPatternLimits()
	{
		// Issue #13.3: thousands of nested "{" or "!(" crashed the recursive matcher.
		std::string dir = scratch();
		writeFile(dir + "/x", "");
		auto search = [&](const std::string& pattern) { return request(port(), "GET", "/files/search?path=" + dir + "&pattern=" + pct(pattern)); };
		HttpResult r = search(repeated("{", 2000) + "x" + repeated("}", 2000));
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"INVALID_REQUEST_BODY\",\"message\":\"invalid query parameter 'pattern': the pattern is longer than 1024 bytes, the limit\"}"), r.body);
		CPPUNIT_ASSERT_EQUAL(400, search(repeated("!(", 1500) + "x" + repeated(")", 1500)).status);
		CPPUNIT_ASSERT_EQUAL(400, search(repeated("{", 3000)).status);
		// Length: 1024 bytes pass, 1025 do not.
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), paths(search(repeated("*", 1023) + "x")).size());
		CPPUNIT_ASSERT_EQUAL(400, search(repeated("*", 1024) + "x").status);
		// Nesting: 32 levels pass, 33 do not.
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), paths(search(repeated("{", 32) + "x" + repeated("}", 32))).size());
		r = search(repeated("{", 33) + "x" + repeated("}", 33));
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT(r.body.find("deeper than 32 levels") != std::string::npos);
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), paths(search(repeated("!(", 32) + "x" + repeated(")", 32))).size());
		CPPUNIT_ASSERT_EQUAL(400, search(repeated("!(", 33) + "x" + repeated(")", 33)).status);
		// A syntax error is still upstream's lazy 500.
		CPPUNIT_ASSERT_EQUAL(500, search("{x").status);
		CPPUNIT_ASSERT(daemon().running());
	}

	void testBacktrackingPatternFinishes()
	{
		// Issue #13.4: exponential backtracking held a core for ever.
		std::string dir = scratch();
		writeFile(dir + "/" + std::string(200, 'a'), "");
		writeFile(dir + "/" + std::string(199, 'a') + "b", "");
		auto start = std::chrono::steady_clock::now();
		HttpResult r = get(port(), "/files/search?path=" + dir + "&pattern=" + pct("*a*a*a*a*a*a*a*b"), std::chrono::seconds(10));
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), paths(r).size());
		CPPUNIT_ASSERT(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
	}

	void testSearchStopsWhenClientLeaves()
	{
		// A long search (3,000 names, a pattern that costs ~10^5 steps per name) is
		// left by its client after 300 ms: execd must stop working on it.
		std::string dir = scratch();
		for (int i = 0; i < 3000; ++i) writeFile(dir + "/" + std::string(245, 'a') + std::to_string(10000 + i), "");
		std::string target = "/files/search?path=" + dir + "&pattern=" + pct(repeated("*a", 450) + "*b");
		pid_t pid = daemon().pid();
		long before = cpuTicks(pid);
		{
			Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port())));
			std::string head = "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n";
			socket.sendBytes(head.data(), static_cast<int>(head.size()));
			std::this_thread::sleep_for(std::chrono::milliseconds(300));
		}
		std::this_thread::sleep_for(std::chrono::milliseconds(700));
		long left = cpuTicks(pid);
		std::this_thread::sleep_for(std::chrono::milliseconds(1500));
		long after = cpuTicks(pid);
		long hz = ::sysconf(_SC_CLK_TCK);
		CPPUNIT_ASSERT_MESSAGE("the search was running: " + std::to_string(left - before), left - before > hz / 10);
		CPPUNIT_ASSERT_MESSAGE("still busy after the client left: " + std::to_string(after - left) + " ticks", after - left < hz / 4);
		CPPUNIT_ASSERT_EQUAL(200, request(port(), "DELETE", "/directories?path=" + dir).status);
	}

	void testWalkEntryLimit()
	{
		// module.files.walkMaxEntries (50 here): 50 entries pass, 51 do not.
		int execd = limitedDaemon().port();
		std::string dir = scratch();
		::mkdir((dir + "/sub").c_str(), 0755);
		for (int i = 0; i < 49; ++i) writeFile(dir + "/sub/f" + std::to_string(i), "");
		HttpResult r = request(execd, "GET", "/files/search?path=" + dir);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::size_t(49), paths(r).size());
		CPPUNIT_ASSERT_EQUAL(std::size_t(50), paths(request(execd, "GET", "/directories/list?path=" + dir + "&depth=2")).size());
		writeFile(dir + "/one-more", "");
		r = request(execd, "GET", "/files/search?path=" + dir);
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"INVALID_REQUEST_BODY\",\"message\":\"search stopped after 50 entries, the limit (module.files.walkMaxEntries): ask for a smaller tree\"}"), r.body);
		r = request(execd, "GET", "/directories/list?path=" + dir + "&depth=2");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT(r.body.find("list stopped after 50 entries") != std::string::npos);
		CPPUNIT_ASSERT_EQUAL(200, request(execd, "GET", "/directories/list?path=" + dir).status);   // depth 1: 2 entries
		CPPUNIT_ASSERT_EQUAL(200, request(execd, "DELETE", "/directories?path=" + dir).status);   // removal is not limited
		CPPUNIT_ASSERT(!exists(dir));
	}

	void testSpecialFilesAreRefused()
	{
		// Issue #13.5: a FIFO blocked download and replace in open() for ever;
		// /dev/zero was read without bound.
		std::string dir = scratch();
		std::string fifo = dir + "/fifo";
		CPPUNIT_ASSERT(::mkfifo(fifo.c_str(), 0644) == 0);
		HttpResult r = get(port(), "/files/download?path=" + fifo, std::chrono::seconds(5));
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"INVALID_REQUEST_BODY\",\"message\":\"path is not a regular file: " + fifo + "\"}"), r.body);
		auto replace = [](const std::string& path) {
			std::string body = "{\"" + path + "\":{\"old\":\"a\",\"new\":\"b\"}}";
			return rawRequest(port(), "POST /files/replace HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body, std::chrono::seconds(5));
		};
		r = replace(fifo);
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("INVALID_REQUEST_BODY"), errorCode(r));
		r = replace("/dev/zero");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"INVALID_REQUEST_BODY\",\"message\":\"path is not a regular file: /dev/zero\"}"), r.body);
		CPPUNIT_ASSERT_EQUAL(400, get(port(), "/files/download?path=/dev/zero", std::chrono::seconds(5)).status);
		// Directories keep upstream's 500; regular files and links to them work.
		CPPUNIT_ASSERT_EQUAL(500, request(port(), "GET", "/files/download?path=" + dir).status);
		writeFile(dir + "/f", "a");
		::symlink("f", (dir + "/link").c_str());
		CPPUNIT_ASSERT_EQUAL(200, request(port(), "POST", "/files/replace", "{\"" + dir + "/link\":{\"old\":\"a\",\"new\":\"b\"}}").status);
		CPPUNIT_ASSERT_EQUAL(std::string("b"), request(port(), "GET", "/files/download?path=" + dir + "/link").body);
	}

	void testReplaceSizeLimit()
	{
		// module.files.replaceMaxBytes (1000 here), before and after the edit.
		int execd = limitedDaemon().port();
		std::string dir = scratch();
		writeFile(dir + "/f", std::string(1000, 'a'));
		HttpResult r = request(execd, "POST", "/files/replace?verbose=true", "{\"" + dir + "/f\":{\"old\":\"a\",\"new\":\"b\"}}");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string(1000, 'b'), readFile(dir + "/f"));
		writeFile(dir + "/f", std::string(1001, 'a'));
		r = request(execd, "POST", "/files/replace", "{\"" + dir + "/f\":{\"old\":\"a\",\"new\":\"b\"}}");
		CPPUNIT_ASSERT_EQUAL(413, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"PAYLOAD_TOO_LARGE\",\"message\":\"file " + dir + "/f is larger than 1000 bytes, the limit of /files/replace (module.files.replaceMaxBytes)\"}"), r.body);
		CPPUNIT_ASSERT_EQUAL(std::string(1001, 'a'), readFile(dir + "/f"));
		writeFile(dir + "/f", std::string(500, 'a'));
		r = request(execd, "POST", "/files/replace", "{\"" + dir + "/f\":{\"old\":\"a\",\"new\":\"bb\"}}");   // 1000 bytes after
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
		r = request(execd, "POST", "/files/replace", "{\"" + dir + "/f\":{\"old\":\"b\",\"new\":\"bb\"}}");   // 2000 after
		CPPUNIT_ASSERT_EQUAL(413, r.status);
		CPPUNIT_ASSERT(r.body.find("would grow past 1000 bytes") != std::string::npos);
		CPPUNIT_ASSERT_EQUAL(std::string(1000, 'b'), readFile(dir + "/f"));
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(IntegrationFilesTest);
