// Runs the registered CppUnit suites. With an argument, only the suites whose
// name starts with it ("RouterTest", "Integration", ...): ctest runs the unit
// and the integration suites as separate tests.

#include <cppunit/CompilerOutputter.h>
#include <cppunit/TestResult.h>
#include <cppunit/TestResultCollector.h>
#include <cppunit/TestRunner.h>
#include <cppunit/TestSuite.h>
#include <cppunit/TestListener.h>
#include <cppunit/TestFailure.h>
#include <chrono>
#include <cppunit/extensions/TestFactoryRegistry.h>
#include <csignal>
#include <sys/resource.h>
#include <iostream>
#include <string>


namespace {


class TimingListener: public CppUnit::TestListener
	/// Prints each test with its result and how long it took.
{
public:
	void startTest(CppUnit::Test*) override
	{
		_failed = false;
		_start = std::chrono::steady_clock::now();
	}

	void addFailure(const CppUnit::TestFailure&) override
	{
		_failed = true;
	}

	void endTest(CppUnit::Test* pTest) override
	{
		auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - _start).count();
		std::cout << pTest->getName() << " : " << (_failed ? "FAILED" : "OK") << " (" << ms << " ms)" << std::endl;
	}

private:
	bool _failed = false;
	std::chrono::steady_clock::time_point _start;
};


} // namespace


int main(int argc, char** argv)
{
	std::signal(SIGPIPE, SIG_IGN);
	// The idle-connection tests hold over a thousand sockets.
	struct rlimit files;
	if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max)
	{
		files.rlim_cur = files.rlim_max;
		::setrlimit(RLIMIT_NOFILE, &files);
	}
	std::string filter = argc > 1 ? argv[1] : "";
	CppUnit::Test* pAll = CppUnit::TestFactoryRegistry::getRegistry().makeTest();
	// The runner owns "selected", which owns the chosen suites; pAll is left to
	// the end of the process so nothing is deleted twice.
	CppUnit::TestSuite* pSelected = new CppUnit::TestSuite("selected");
	for (int i = 0; i < pAll->getChildTestCount(); ++i)
	{
		CppUnit::Test* pSuite = pAll->getChildTestAt(i);
		if (filter.empty() || pSuite->getName().rfind(filter, 0) == 0)
		{
			pSelected->addTest(pSuite);
		}
		else if (filter.find("::") != std::string::npos)
		{
			// "Suite::testName": that test (or those it is a prefix of) only.
			for (int j = 0; j < pSuite->getChildTestCount(); ++j)
			{
				CppUnit::Test* pTest = pSuite->getChildTestAt(j);
				if (pTest->getName().rfind(filter, 0) == 0) pSelected->addTest(pTest);
			}
		}
	}
	CppUnit::TestResult controller;
	CppUnit::TestResultCollector collector;
	controller.addListener(&collector);
	TimingListener progress;
	controller.addListener(&progress);
	CppUnit::TestRunner runner;
	runner.addTest(pSelected);
	runner.run(controller);
	CppUnit::CompilerOutputter outputter(&collector, std::cerr);
	outputter.write();
	int failed = collector.testFailuresTotal();
	int total = collector.runTests();
	std::cout << (total - failed) << " passed, " << failed << " failed" << std::endl;
	return failed == 0 && total > 0 ? 0 : 1;
}
