#include "execd/Paths.h"
#include "Poco/File.h"
#include <cppunit/extensions/HelperMacros.h>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>


using execd::ApiException;
namespace Paths = execd::Paths;


namespace {


std::string errorOf(const std::function<void()>& f)
{
	try
	{
		f();
	}
	catch (ApiException& exc)
	{
		return std::to_string(exc.status()) + " " + exc.errorCode();
	}
	catch (Poco::FileException& exc)
	{
		return "errno " + std::to_string(exc.code()) + " " + exc.message();
	}
	return "no error";
}


std::vector<std::string>& scratchDirectories()
{
	static std::vector<std::string> dirs;
	return dirs;
}


std::string scratch()
	/// A new directory, removed by the fixture's tearDown().
{
	char dir[] = "/tmp/execd-paths-XXXXXX";
	CPPUNIT_ASSERT(::mkdtemp(dir));
	scratchDirectories().push_back(dir);
	return dir;
}


bool isDirectory(const std::string& path)
{
	struct stat st;
	return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}


std::string chain(const std::string& root, std::size_t components)
	/// root + "/q" x (components - root's own components)
{
	std::string path = root;
	std::size_t have = 0;
	for (char c: root)
		if (c == '/') ++have;
	for (std::size_t i = have; i < components; ++i) path += "/q";
	return path;
}


} // namespace


class PathsTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(PathsTest);
	CPPUNIT_TEST(testCreateDirectoriesMakesEveryComponent);
	CPPUNIT_TEST(testCreateDirectoriesReportsTheFailingComponent);
	CPPUNIT_TEST(testComponentLimit);
	CPPUNIT_TEST(testLengthLimit);
	CPPUNIT_TEST(testFindExecutable);
	CPPUNIT_TEST_SUITE_END();

public:
	void tearDown() override
	{
		for (const std::string& dir: scratchDirectories())
		{
			try
			{
				Poco::File(dir).remove(true);
			}
			catch (Poco::Exception&)
			{
			}
		}
		scratchDirectories().clear();
	}

	void testCreateDirectoriesMakesEveryComponent()
	{
		std::string dir = scratch();
		// What it created, outermost first, spelled as given.
		std::vector<std::string> created = Paths::createDirectories(dir + "/a//b/c/");
		CPPUNIT_ASSERT(isDirectory(dir + "/a/b/c"));
		CPPUNIT_ASSERT(created == (std::vector<std::string>{dir + "/a", dir + "/a//b", dir + "/a//b/c"}));
		CPPUNIT_ASSERT(Paths::createDirectories(dir + "/a/b/c").empty());   // existing: fine
		CPPUNIT_ASSERT(Paths::createDirectories(dir + "/a/b/d") == std::vector<std::string>{dir + "/a/b/d"});
		CPPUNIT_ASSERT(Paths::createDirectories("").empty());
		std::string cwd = ::get_current_dir_name();
		CPPUNIT_ASSERT(::chdir(dir.c_str()) == 0);
		Paths::createDirectories("rel/x");
		CPPUNIT_ASSERT(::chdir(cwd.c_str()) == 0);
		CPPUNIT_ASSERT(isDirectory(dir + "/rel/x"));
	}

	void testCreateDirectoriesReportsTheFailingComponent()
	{
		std::string dir = scratch();
		std::ofstream(dir + "/file") << "x";
		CPPUNIT_ASSERT_EQUAL("errno " + std::to_string(ENOTDIR) + " mkdir " + dir + "/file: not a directory",
			errorOf([&] { Paths::createDirectories(dir + "/file/sub/deeper"); }));
		CPPUNIT_ASSERT_EQUAL("errno " + std::to_string(ENOTDIR) + " mkdir " + dir + "/file: not a directory",
			errorOf([&] { Paths::createDirectories(dir + "/file"); }));
	}

	void testComponentLimit()
	{
		// At the limit the whole chain is made, without recursion; one more is a 400
		// before anything is created.
		std::string dir = scratch();
		std::string atLimit = chain(dir, Paths::MAX_PATH_COMPONENTS);
		Paths::createDirectories(atLimit);
		CPPUNIT_ASSERT(isDirectory(atLimit));
		std::string other = scratch();
		std::string past = chain(other, Paths::MAX_PATH_COMPONENTS + 1);
		CPPUNIT_ASSERT_EQUAL(std::string("400 INVALID_REQUEST_BODY"), errorOf([&] { Paths::createDirectories(past); }));
		CPPUNIT_ASSERT(!isDirectory(other + "/q"));
		CPPUNIT_ASSERT_EQUAL(std::string("400 INVALID_FILE_METADATA"), errorOf([&] { Paths::checkLimits(past, execd::ErrorCode::INVALID_FILE_METADATA); }));
	}

	void testFindExecutable()
	{
		// The first executable regular file along PATH; a directory or a file
		// without x of that name is passed over; then the fallbacks, in order.
		std::string dir = scratch();
		for (const char* d: {"/a", "/b", "/c"})
			CPPUNIT_ASSERT_EQUAL(0, ::mkdir((dir + d).c_str(), 0755));
		CPPUNIT_ASSERT_EQUAL(0, ::mkdir((dir + "/a/tool").c_str(), 0755));
		std::ofstream(dir + "/b/tool") << "#!/bin/sh\n";
		::chmod((dir + "/b/tool").c_str(), 0644);
		std::ofstream(dir + "/c/tool") << "#!/bin/sh\n";
		::chmod((dir + "/c/tool").c_str(), 0755);
		std::ofstream(dir + "/fallback") << "#!/bin/sh\n";
		::chmod((dir + "/fallback").c_str(), 0755);
		const char* saved = std::getenv("PATH");
		std::string savedPath = saved ? saved : "";
		::setenv("PATH", (dir + "/a:" + dir + "/b::" + dir + "/c").c_str(), 1);
		std::string found = execd::Paths::findExecutable("tool");
		std::string fallback = execd::Paths::findExecutable("none", {dir + "/missing", dir + "/fallback"});
		std::string none = execd::Paths::findExecutable("none", {dir + "/missing"});
		::setenv("PATH", savedPath.c_str(), 1);
		CPPUNIT_ASSERT_EQUAL(dir + "/c/tool", found);
		CPPUNIT_ASSERT_EQUAL(dir + "/fallback", fallback);
		CPPUNIT_ASSERT_EQUAL(std::string(), none);
	}

	void testLengthLimit()
	{
		std::string dir = scratch();
		std::string atLimit = dir;
		while (atLimit.size() + 201 <= Paths::MAX_PATH_BYTES) atLimit += "/" + std::string(200, 'n');
		atLimit += "/" + std::string(Paths::MAX_PATH_BYTES - atLimit.size() - 1, 'm');
		CPPUNIT_ASSERT_EQUAL(Paths::MAX_PATH_BYTES, atLimit.size());
		Paths::createDirectories(atLimit);
		CPPUNIT_ASSERT(isDirectory(atLimit));
		CPPUNIT_ASSERT_EQUAL(std::string("400 INVALID_REQUEST_BODY"), errorOf([&] { Paths::createDirectories(atLimit + "x"); }));
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(PathsTest);
