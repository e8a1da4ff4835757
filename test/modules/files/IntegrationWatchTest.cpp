// GET /files/watch through the real daemon, on a real filesystem with inotify.

#include "ExecdProcess.h"
#include "Poco/File.h"
#include "Poco/JSON/Object.h"
#include "Poco/Net/SocketAddress.h"
#include "Poco/Net/StreamSocket.h"
#include <cppunit/extensions/HelperMacros.h>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <functional>
#include <set>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>


using namespace execd::test;


namespace {


ExecdProcess::Options filesOnly(const std::vector<std::string>& extra = {})
{
	ExecdProcess::Options o = ExecdProcess::modules("files");
	o.properties.insert(o.properties.end(), extra.begin(), extra.end());
	return o;
}


class TempTree
{
public:
	TempTree()
	{
		char dir[] = "/tmp/execd-watch-XXXXXX";
		if (!::mkdtemp(dir)) throw std::runtime_error("mkdtemp");
		path = dir;
	}

	~TempTree()
	{
		try
		{
			Poco::File(path).remove(true);
		}
		catch (...)
		{
		}
	}

	std::string path;
};


void touch(const std::string& path, const std::string& content = "")
{
	std::ofstream out(path, std::ios::binary);
	out << content;
}


class WatchStream
	/// A client of GET /files/watch that reads events as they come and can vanish.
{
public:
	WatchStream(int port, const std::string& target):
		_socket(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)))
	{
		std::string head = "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n";
		_socket.sendBytes(head.data(), static_cast<int>(head.size()));
		auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
		while (_raw.find("\r\n\r\n") == std::string::npos && std::chrono::steady_clock::now() < deadline)
			receive(std::chrono::milliseconds(200));
		std::size_t end = _raw.find("\r\n\r\n");
		if (end == std::string::npos) throw std::runtime_error("no response head");
		head_ = _raw.substr(0, end);
		status = std::stoi(head_.substr(9, 3));
		_raw.erase(0, end + 4);
		_chunked = head_.find("Transfer-Encoding: chunked") != std::string::npos;
		if (!_chunked) _body = _raw, _raw.clear();
	}

	int status = 0;

	const std::string& head() const
	{
		return head_;
	}

	const std::string& body() const
	{
		return _body;
	}

	std::vector<Poco::JSON::Object::Ptr> until(const std::function<bool(const std::vector<Poco::JSON::Object::Ptr>&)>& done,
		std::chrono::milliseconds within)
		/// Every event so far, read until done says so or within has passed.
	{
		auto deadline = std::chrono::steady_clock::now() + within;
		for (;;)
		{
			parse();
			if (done(_events) || std::chrono::steady_clock::now() >= deadline || _closed) return _events;
			receive(std::chrono::milliseconds(50));
		}
	}

	void close()
	{
		_socket.close();
	}

private:
	void receive(std::chrono::milliseconds wait)
	{
		if (_closed) return;
		if (!_socket.poll(Poco::Timespan(static_cast<long>(wait.count()) * 1000), Poco::Net::Socket::SELECT_READ)) return;
		char buffer[65536];
		int n = _socket.receiveBytes(buffer, sizeof(buffer));
		if (n <= 0) _closed = true;
		else _raw.append(buffer, static_cast<std::size_t>(n));
	}

	void parse()
	{
		// De-chunk what is complete, then split events on blank lines.
		while (_chunked)
		{
			std::size_t eol = _raw.find("\r\n");
			if (eol == std::string::npos) break;
			std::size_t size = std::stoul(_raw.substr(0, eol), nullptr, 16);
			if (_raw.size() < eol + 2 + size + 2) break;
			_body += _raw.substr(eol + 2, size);
			_raw.erase(0, eol + 2 + size + 2);
			if (size == 0) _closed = true;
		}
		std::size_t end;
		while ((end = _body.find("\n\n", _parsed)) != std::string::npos)
		{
			std::string event = _body.substr(_parsed, end - _parsed);
			_parsed = end + 2;
			if (!event.empty() && event[0] == '{')
			{
				auto o = object(event);
				if (o->getValue<std::string>("type") != "ping") _events.push_back(o);
			}
		}
	}

	Poco::Net::StreamSocket _socket;
	std::string head_;
	std::string _raw;
	std::string _body;
	std::size_t _parsed = 0;
	bool _chunked = false;
	bool _closed = false;
	std::vector<Poco::JSON::Object::Ptr> _events;
};


std::size_t count(const std::vector<Poco::JSON::Object::Ptr>& events, const std::string& type)
{
	std::size_t n = 0;
	for (const auto& e: events)
		if (e->getValue<std::string>("type") == type) ++n;
	return n;
}


bool has(const std::vector<Poco::JSON::Object::Ptr>& events, const std::string& type, const std::string& path)
{
	for (const auto& e: events)
		if (e->getValue<std::string>("type") == type && e->getValue<std::string>("path") == path) return true;
	return false;
}


int inotifyDescriptors(pid_t pid)
{
	int n = 0;
	std::string dir = "/proc/" + std::to_string(pid) + "/fd";
	DIR* d = ::opendir(dir.c_str());
	if (!d) return -1;
	while (struct dirent* e = ::readdir(d))
	{
		char target[256];
		ssize_t len = ::readlink((dir + "/" + e->d_name).c_str(), target, sizeof(target) - 1);
		if (len > 0 && std::string(target, static_cast<std::size_t>(len)) == "anon_inode:inotify") ++n;
	}
	::closedir(d);
	return n;
}


long long cpuTicks(pid_t pid)
{
	std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
	std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
	std::istringstream fields(stat.substr(stat.rfind(')') + 2));
	std::string field;
	long long utime = 0, stime = 0;
	for (int i = 3; fields >> field; ++i)
	{
		if (i == 14) utime = std::stoll(field);
		if (i == 15) { stime = std::stoll(field); break; }
	}
	return utime + stime;
}


} // namespace


class IntegrationWatchTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(IntegrationWatchTest);
	CPPUNIT_TEST(testEvents);
	CPPUNIT_TEST(testWritesAreCoalesced);
	CPPUNIT_TEST(testRecursiveOnNewDirectories);
	CPPUNIT_TEST(testIncludeAndNotRecursive);
	CPPUNIT_TEST(testThroughSymbolicLink);
	CPPUNIT_TEST(testTenThousandFiles);
	CPPUNIT_TEST(testWatchLimit);
	CPPUNIT_TEST(testBadInput);
	CPPUNIT_TEST(testGoneClientReleasesWatches);
	CPPUNIT_TEST(testIdleWatchOfManyFilesCostsNothing);
	CPPUNIT_TEST_SUITE_END();

public:
	void testEvents()
	{
		ExecdProcess execd(filesOnly());
		TempTree tree;
		WatchStream watch(execd.port(), "/files/watch?path=" + tree.path);
		CPPUNIT_ASSERT_EQUAL(200, watch.status);
		CPPUNIT_ASSERT(watch.head().find("Content-Type: text/event-stream") != std::string::npos);
		const std::string f = tree.path + "/f.txt";
		touch(f, "hello");
		::chmod(f.c_str(), 0600);
		::rename(f.c_str(), (tree.path + "/g.txt").c_str());
		::unlink((tree.path + "/g.txt").c_str());
		::mkdir((tree.path + "/d").c_str(), 0755);
		auto events = watch.until([&](const std::vector<Poco::JSON::Object::Ptr>& e) { return has(e, "create", tree.path + "/d"); }, std::chrono::seconds(10));
		std::vector<std::string> seen;
		for (const auto& e: events) seen.push_back(e->getValue<std::string>("type") + " " + e->getValue<std::string>("path").substr(tree.path.size()));
		const std::vector<std::string> expected = {"create /f.txt", "write /f.txt", "chmod /f.txt", "rename /f.txt", "create /g.txt", "remove /g.txt", "create /d"};
		std::string all;
		for (const auto& s: seen) all += s + "; ";
		CPPUNIT_ASSERT_MESSAGE(all, seen == expected);
		// The fields: size and mtime of what exists, is_dir always.
		// The fields: is_dir always; size and mtime of what exists when the event
		// is sent (here the file was gone by then), never for remove and rename.
		CPPUNIT_ASSERT(!events[1]->getValue<bool>("is_dir"));
		CPPUNIT_ASSERT(!events[3]->has("size"));
		CPPUNIT_ASSERT(!events[5]->has("size"));
		CPPUNIT_ASSERT(events[6]->getValue<bool>("is_dir"));
		touch(tree.path + "/s.txt", "hello");
		events = watch.until([&](const std::vector<Poco::JSON::Object::Ptr>& e) { return has(e, "write", tree.path + "/s.txt"); }, std::chrono::seconds(10));
		CPPUNIT_ASSERT_EQUAL(5, events.back()->getValue<int>("size"));
		CPPUNIT_ASSERT(events.back()->getValue<std::string>("mtime").back() == 'Z');
		CPPUNIT_ASSERT(events[6]->has("timestamp"));
	}

	void testWritesAreCoalesced()
	{
		ExecdProcess execd(filesOnly());
		TempTree tree;
		const std::string f = tree.path + "/log";
		touch(f);
		WatchStream watch(execd.port(), "/files/watch?path=" + tree.path);
		int fd = ::open(f.c_str(), O_WRONLY | O_APPEND);
		auto start = std::chrono::steady_clock::now();
		int writes = 0;
		// Writes for 500 ms: at most one event per 50 ms.
		while (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(500))
		{
			CPPUNIT_ASSERT(::write(fd, "x", 1) == 1);
			++writes;
			std::this_thread::sleep_for(std::chrono::milliseconds(1));
		}
		::close(fd);
		auto events = watch.until([](const std::vector<Poco::JSON::Object::Ptr>&) { return false; }, std::chrono::milliseconds(300));
		const std::size_t n = count(events, "write");
		CPPUNIT_ASSERT_MESSAGE(std::to_string(n) + " write events for " + std::to_string(writes) + " writes", n >= 5 && n <= 12);
		// The last one shows the final size.
		CPPUNIT_ASSERT_EQUAL(writes, events.back()->getValue<int>("size"));
	}

	void testRecursiveOnNewDirectories()
	{
		ExecdProcess execd(filesOnly());
		TempTree tree;
		::mkdir((tree.path + "/old").c_str(), 0755);
		WatchStream watch(execd.port(), "/files/watch?path=" + tree.path + "&recursive=true");
		touch(tree.path + "/old/a");
		// A directory made later, and one made with its contents elsewhere and moved in.
		::mkdir((tree.path + "/new").c_str(), 0755);
		::mkdir((tree.path + "/new/deeper").c_str(), 0755);
		touch(tree.path + "/new/deeper/b");
		TempTree outside;
		::mkdir((outside.path + "/moved").c_str(), 0755);
		touch(outside.path + "/moved/c");
		::rename((outside.path + "/moved").c_str(), (tree.path + "/moved").c_str());
		std::this_thread::sleep_for(std::chrono::milliseconds(200));
		touch(tree.path + "/moved/d");
		auto events = watch.until([&](const std::vector<Poco::JSON::Object::Ptr>& e) { return has(e, "create", tree.path + "/moved/d"); }, std::chrono::seconds(10));
		CPPUNIT_ASSERT(has(events, "create", tree.path + "/old/a"));
		CPPUNIT_ASSERT(has(events, "create", tree.path + "/new/deeper"));
		CPPUNIT_ASSERT(has(events, "create", tree.path + "/new/deeper/b"));
		CPPUNIT_ASSERT(has(events, "create", tree.path + "/moved"));
		CPPUNIT_ASSERT(has(events, "create", tree.path + "/moved/c"));
		CPPUNIT_ASSERT(has(events, "create", tree.path + "/moved/d"));
	}

	void testIncludeAndNotRecursive()
	{
		ExecdProcess execd(filesOnly());
		TempTree tree;
		::mkdir((tree.path + "/sub").c_str(), 0755);
		WatchStream watch(execd.port(), "/files/watch?path=" + tree.path + "&include=*.py");
		touch(tree.path + "/a.txt");
		touch(tree.path + "/sub/b.py");   // below: not watched without recursive
		touch(tree.path + "/c.py");
		auto events = watch.until([&](const std::vector<Poco::JSON::Object::Ptr>& e) { return has(e, "create", tree.path + "/c.py"); }, std::chrono::seconds(10));
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), events.size());
	}

	void testThroughSymbolicLink()
	{
		// The root may be a link to a directory (/var/run); paths are as asked.
		ExecdProcess execd(filesOnly());
		TempTree tree;
		::mkdir((tree.path + "/real").c_str(), 0755);
		CPPUNIT_ASSERT_EQUAL(0, ::symlink((tree.path + "/real").c_str(), (tree.path + "/link").c_str()));
		WatchStream watch(execd.port(), "/files/watch?path=" + tree.path + "/link");
		CPPUNIT_ASSERT_EQUAL(200, watch.status);
		touch(tree.path + "/real/x");
		auto events = watch.until([&](const std::vector<Poco::JSON::Object::Ptr>& e) { return has(e, "create", tree.path + "/link/x"); }, std::chrono::seconds(10));
		CPPUNIT_ASSERT(has(events, "create", tree.path + "/link/x"));
	}

	void testTenThousandFiles()
	{
		ExecdProcess execd(filesOnly());
		TempTree tree;
		::mkdir((tree.path + "/a").c_str(), 0755);
		::mkdir((tree.path + "/b").c_str(), 0755);
		WatchStream watch(execd.port(), "/files/watch?path=" + tree.path + "&recursive=true");
		for (int i = 0; i < 10000; ++i)
		{
			std::string path = tree.path + (i % 2 ? "/a/" : "/b/") + std::to_string(i);
			int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
			::close(fd);
		}
		// All of them, or an explicit overflow: never fewer in silence.
		auto events = watch.until([](const std::vector<Poco::JSON::Object::Ptr>& e) { return count(e, "create") >= 10000 || count(e, "overflow") > 0; },
			std::chrono::seconds(30));
		if (count(events, "overflow") == 0)
		{
			CPPUNIT_ASSERT_EQUAL(std::size_t(10000), count(events, "create"));
			std::set<std::string> paths;
			for (const auto& e: events) paths.insert(e->getValue<std::string>("path"));
			CPPUNIT_ASSERT_EQUAL(std::size_t(10000), paths.size());
		}
	}

	void testWatchLimit()
	{
		ExecdProcess execd(filesOnly({"module.files.watchMaxDirectories = 3"}));
		TempTree tree;
		::mkdir((tree.path + "/a").c_str(), 0755);
		::mkdir((tree.path + "/b").c_str(), 0755);
		{
			WatchStream watch(execd.port(), "/files/watch?path=" + tree.path + "&recursive=true");
			CPPUNIT_ASSERT_EQUAL(200, watch.status);
			// The fourth directory: named in an error event, the stream goes on.
			::mkdir((tree.path + "/c").c_str(), 0755);
			touch(tree.path + "/after");
			auto events = watch.until([&](const std::vector<Poco::JSON::Object::Ptr>& e) { return has(e, "create", tree.path + "/after"); }, std::chrono::seconds(10));
			CPPUNIT_ASSERT(has(events, "error", tree.path + "/c"));
			for (const auto& e: events)
			{
				if (e->getValue<std::string>("type") == "error")
					CPPUNIT_ASSERT(e->getValue<std::string>("message").find("more than 3 directories") != std::string::npos);
			}
		}
		// Four at the start: refused before the stream begins.
		HttpResult r = request(execd.port(), "GET", "/files/watch?path=" + tree.path + "&recursive=true");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT(r.body.find("more than 3 directories in one watch (module.files.watchMaxDirectories)") != std::string::npos);
		auto caps = object(request(execd.port(), "GET", "/capabilities").body);
		CPPUNIT_ASSERT_EQUAL(3, caps->getObject("limits")->getValue<int>("module.files.watchMaxDirectories"));
		CPPUNIT_ASSERT(caps->getObject("features")->getValue<bool>("file_watch"));
	}

	void testBadInput()
	{
		ExecdProcess execd(filesOnly());
		TempTree tree;
		touch(tree.path + "/file");
		HttpResult r = request(execd.port(), "GET", "/files/watch");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT(r.body.find("MISSING_QUERY") != std::string::npos);
		r = request(execd.port(), "GET", "/files/watch?path=" + tree.path + "/nope");
		CPPUNIT_ASSERT_EQUAL(404, r.status);
		r = request(execd.port(), "GET", "/files/watch?path=" + tree.path + "/file");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		r = request(execd.port(), "GET", "/files/watch?path=" + tree.path + "&recursive=maybe");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		r = request(execd.port(), "GET", "/files/watch?path=" + tree.path + "&include=%5B");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		r = request(execd.port(), "GET", "/files/watch?path=" + tree.path + "&include=" + std::string(1025, 'a'));
		CPPUNIT_ASSERT_EQUAL(400, r.status);
	}

	void testGoneClientReleasesWatches()
	{
		ExecdProcess execd(filesOnly());
		TempTree tree;
		{
			WatchStream a(execd.port(), "/files/watch?path=" + tree.path);
			WatchStream b(execd.port(), "/files/watch?path=" + tree.path + "&recursive=true");
			CPPUNIT_ASSERT_EQUAL(2, inotifyDescriptors(execd.pid()));
			a.close();
			b.close();
		}
		// At once, not at the next event or ping.
		auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
		while (inotifyDescriptors(execd.pid()) > 0 && std::chrono::steady_clock::now() < deadline)
			std::this_thread::sleep_for(std::chrono::milliseconds(10));
		CPPUNIT_ASSERT_EQUAL(0, inotifyDescriptors(execd.pid()));
		// The watched directory removed: the stream ends.
		TempTree gone;
		WatchStream c(execd.port(), "/files/watch?path=" + gone.path);
		::rmdir(gone.path.c_str());
		c.until([](const std::vector<Poco::JSON::Object::Ptr>&) { return false; }, std::chrono::seconds(3));
		deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
		while (inotifyDescriptors(execd.pid()) > 0 && std::chrono::steady_clock::now() < deadline)
			std::this_thread::sleep_for(std::chrono::milliseconds(10));
		CPPUNIT_ASSERT_EQUAL(0, inotifyDescriptors(execd.pid()));
	}

	void testIdleWatchOfManyFilesCostsNothing()
	{
		ExecdProcess execd(filesOnly());
		TempTree tree;
		for (int d = 0; d < 100; ++d)
		{
			std::string dir = tree.path + "/d" + std::to_string(d);
			::mkdir(dir.c_str(), 0755);
			for (int i = 0; i < 1000; ++i)
			{
				int fd = ::open((dir + "/" + std::to_string(i)).c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
				::close(fd);
			}
		}
		WatchStream watch(execd.port(), "/files/watch?path=" + tree.path + "&recursive=true");
		CPPUNIT_ASSERT_EQUAL(200, watch.status);
		std::this_thread::sleep_for(std::chrono::milliseconds(200));
		const long long before = cpuTicks(execd.pid());
		std::this_thread::sleep_for(std::chrono::seconds(2));
		const long long used = cpuTicks(execd.pid()) - before;
		// 100,000 files watched, nothing changing: no work (a tick is 10 ms).
		CPPUNIT_ASSERT_MESSAGE(std::to_string(used) + " ticks", used <= 2);
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(IntegrationWatchTest);
