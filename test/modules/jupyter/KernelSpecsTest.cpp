// Kernelspec discovery of the direct kernel backend (issue #17): where
// kernel.json files are looked for, which one wins, and what is skipped.

#include "KernelSpecs.h"
#include "Poco/Exception.h"
#include "Poco/File.h"
#include <cppunit/extensions/HelperMacros.h>
#include <cstdlib>
#include <fstream>


using execd::jupyter::KernelSpec;
using execd::jupyter::KernelSpecs;


namespace {


class TempData
	/// A data directory with kernels/<name>/kernel.json files, removed at the end.
{
public:
	TempData()
	{
		char dir[] = "/tmp/execd-kernelspecs-XXXXXX";
		CPPUNIT_ASSERT(::mkdtemp(dir));
		path = dir;
	}

	~TempData()
	{
		try
		{
			Poco::File(path).remove(true);
		}
		catch (Poco::Exception&)
		{
		}
	}

	void add(const std::string& name, const std::string& json)
	{
		Poco::File(path + "/kernels/" + name).createDirectories();
		std::ofstream(path + "/kernels/" + name + "/kernel.json") << json;
	}

	std::string path;
};


} // namespace


class KernelSpecsTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(KernelSpecsTest);
	CPPUNIT_TEST(testSearchPathOrder);
	CPPUNIT_TEST(testParse);
	CPPUNIT_TEST(testBadSpecsAreSkipped);
	CPPUNIT_TEST(testFirstDirectoryWins);
	CPPUNIT_TEST(testCommandSubstitutes);
	CPPUNIT_TEST_SUITE_END();

public:
	void testSearchPathOrder()
	{
		auto dirs = KernelSpecs::searchPath({{"JUPYTER_PATH", "/a::/b"}, {"HOME", "/home/u"}});
		std::vector<std::string> expected{"/a", "/b", "/home/u/.local/share/jupyter", "/usr/local/share/jupyter", "/usr/share/jupyter"};
		CPPUNIT_ASSERT(dirs == expected);
		dirs = KernelSpecs::searchPath({{"JUPYTER_DATA_DIR", "/data"}, {"HOME", "/home/u"}});
		expected = {"/data", "/usr/local/share/jupyter", "/usr/share/jupyter"};
		CPPUNIT_ASSERT(dirs == expected);
		dirs = KernelSpecs::searchPath({});
		expected = {"/usr/local/share/jupyter", "/usr/share/jupyter"};
		CPPUNIT_ASSERT(dirs == expected);
	}

	void testParse()
	{
		auto spec = KernelSpecs::parse("python3", "/k/python3",
			"{\"argv\":[\"/usr/bin/python3\",\"-m\",\"ipykernel_launcher\",\"-f\",\"{connection_file}\"],"
			"\"display_name\":\"Python 3\",\"language\":\"Python\",\"env\":{\"A\":\"1\",\"N\":2},\"interrupt_mode\":\"message\"}");
		CPPUNIT_ASSERT(spec);
		CPPUNIT_ASSERT_EQUAL(std::string("python"), spec->language);
		CPPUNIT_ASSERT_EQUAL(std::string("Python 3"), spec->displayName);
		CPPUNIT_ASSERT_EQUAL(std::size_t(5), spec->argv.size());
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), spec->env.size());   // only string values
		CPPUNIT_ASSERT_EQUAL(std::string("1"), spec->env.at("A"));
		CPPUNIT_ASSERT(spec->interruptByMessage);
		spec = KernelSpecs::parse("x", "/k/x", "{\"argv\":[\"/bin/k\"]}");
		CPPUNIT_ASSERT(spec);
		CPPUNIT_ASSERT(!spec->interruptByMessage);
		CPPUNIT_ASSERT_EQUAL(std::string("x"), spec->displayName);
		CPPUNIT_ASSERT_EQUAL(std::string(""), spec->language);
		CPPUNIT_ASSERT(!spec->restartsOnInterrupt());
		spec = KernelSpecs::parse("javascript", "/k/javascript",
			"{\"argv\":[\"/usr/lib/node_modules/ijavascript/bin/ijskernel.js\",\"{connection_file}\"],\"language\":\"javascript\"}");
		CPPUNIT_ASSERT(spec && spec->restartsOnInterrupt());
	}

	void testBadSpecsAreSkipped()
	{
		for (const char* json: {"", "[]", "{", "{\"argv\":[]}", "{\"argv\":\"/bin/k\"}", "{\"argv\":[1]}", "{\"argv\":[\"\"]}", "null"})
			CPPUNIT_ASSERT_MESSAGE(json, !KernelSpecs::parse("x", "/k/x", json));
		TempData data;
		data.add("good", "{\"argv\":[\"/bin/k\"],\"language\":\"python\"}");
		data.add("bad", "{\"argv\":[]}");
		data.add("huge", std::string(KernelSpecs::MAX_SPEC_BYTES + 10, ' ') + "{\"argv\":[\"/bin/k\"]}");
		Poco::File(data.path + "/kernels/empty").createDirectories();
		KernelSpecs specs = KernelSpecs::scan({data.path, "/nonexistent"});
		CPPUNIT_ASSERT(specs.names() == std::vector<std::string>{"good"});
		CPPUNIT_ASSERT(specs.forLanguage("Python"));
		CPPUNIT_ASSERT(!specs.forLanguage("ruby"));
	}

	void testFirstDirectoryWins()
	{
		TempData first, second;
		first.add("python3", "{\"argv\":[\"/first/python\"],\"language\":\"python\"}");
		second.add("python3", "{\"argv\":[\"/second/python\"],\"language\":\"python\"}");
		second.add("tslab", "{\"argv\":[\"tslab\",\"kernel\",\"--config-path\",\"{connection_file}\"],\"language\":\"typescript\"}");
		KernelSpecs specs = KernelSpecs::scan({first.path, second.path});
		CPPUNIT_ASSERT_EQUAL(std::string("/first/python"), specs.find("python3")->argv.front());
		CPPUNIT_ASSERT_EQUAL(second.path + "/kernels/tslab", specs.find("tslab")->directory);
		CPPUNIT_ASSERT(!specs.find("nope"));
	}

	void testCommandSubstitutes()
	{
		KernelSpec spec;
		spec.directory = "/k/r";
		spec.argv = {"k", "-f", "{connection_file}", "--res={resource_dir}/x", "{connection_file}{connection_file}"};
		std::vector<std::string> expected{"k", "-f", "/run/c.json", "--res=/k/r/x", "/run/c.json/run/c.json"};
		CPPUNIT_ASSERT(spec.command("/run/c.json") == expected);
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(KernelSpecsTest);
