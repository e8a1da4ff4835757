#include "JupyterTestSupport.h"
#include "Poco/File.h"
#include "Poco/JSON/Parser.h"
#include <algorithm>
#include <cppunit/extensions/HelperMacros.h>
#include <dirent.h>
#include <fstream>
#include <regex>
#include <sys/stat.h>
#include <sstream>


namespace execd {
namespace test {


std::vector<Poco::JSON::Object::Ptr> events(const HttpResult& r)
{
	std::vector<Poco::JSON::Object::Ptr> result;
	for (const std::string& e: withoutPings(sseEvents(r.body)))
	{
		auto o = object(e);
		if (o->has("type")) result.push_back(o);
	}
	return result;
}


std::string types(const std::vector<Poco::JSON::Object::Ptr>& evs)
{
	std::string out;
	for (const auto& e: evs) out += (out.empty() ? "" : ",") + e->getValue<std::string>("type");
	return out;
}


Poco::JSON::Object::Ptr firstOf(const std::vector<Poco::JSON::Object::Ptr>& evs, const std::string& type)
{
	for (const auto& e: evs)
		if (e->getValue<std::string>("type") == type) return e;
	CPPUNIT_FAIL("no " + type + " event");
	return nullptr;
}


std::string stdoutText(const std::vector<Poco::JSON::Object::Ptr>& evs)
{
	std::string out;
	for (const auto& e: evs)
		if (e->getValue<std::string>("type") == "stdout") out += e->getValue<std::string>("text");
	return out;
}


std::vector<int> childrenNamed(int parent, const std::string& needle)
{
	std::vector<int> pids;
	DIR* dir = ::opendir("/proc");
	while (struct dirent* entry = ::readdir(dir))
	{
		int pid = std::atoi(entry->d_name);
		if (pid <= 0) continue;
		std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
		std::string line;
		std::getline(stat, line);
		std::size_t close = line.rfind(')');
		if (close == std::string::npos) continue;
		std::istringstream rest(line.substr(close + 2));
		char state;
		int ppid;
		rest >> state >> ppid;
		std::ifstream cmd("/proc/" + std::to_string(pid) + "/cmdline");
		std::string cmdline((std::istreambuf_iterator<char>(cmd)), std::istreambuf_iterator<char>());
		if (ppid == parent && cmdline.find(needle) != std::string::npos) pids.push_back(pid);
	}
	::closedir(dir);
	return pids;
}


std::string procText(int pid, const std::string& name)
{
	std::ifstream in("/proc/" + std::to_string(pid) + "/" + name);
	std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
	std::replace(text.begin(), text.end(), '\0', '\n');
	return text;
}


std::string fileText(const std::string& path)
{
	std::ifstream in(path);
	return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}


std::string match(const std::string& text, const std::string& pattern)
{
	std::smatch m;
	return std::regex_search(text, m, std::regex(pattern)) ? m[1].str() : std::string();
}


bool gone(int pid)
{
	std::string stat = procText(pid, "stat");
	std::size_t close = stat.rfind(')');
	return close == std::string::npos || close + 2 >= stat.size() || stat[close + 2] == 'Z' || stat[close + 2] == 'X';
}


// What a command of another uid runs: it looks for execd's secrets wherever it
// can read and tries to write a root-owned file through the Jupyter server.
const std::string PROBE = R"PY(# Run as another uid: look for execd's secrets wherever that uid can read,
# then try to write a root-owned file through the Jupyter server's REST API.
import os, re, sys, urllib.request

port, nonce = sys.argv[1], sys.argv[2]
WORD = re.compile(rb'[0-9A-Za-z+/=_-]{20,}')
found = []
SECRET_FILE = re.compile(r'execd-jupyter-|kernel-.*\.json$|jupyter_cookie_secret$|jpserver-|jupyter_server_config')


def note(where, data):
    for m in WORD.findall(data):
        for word in [m.decode()] + m.decode().split('='):
            if len(word) >= 20 and word not in found:
                found.append(word)
                print('CANDIDATE', where, word)


def read(path, limit=65536):
    try:
        with open(path, 'rb') as f:
            return f.read(limit)
    except OSError:
        return None


for pid in os.listdir('/proc'):
    if not pid.isdigit() or int(pid) == os.getpid():
        continue
    for name in ('cmdline', 'environ'):
        data = read('/proc/%s/%s' % (pid, name))
        if data:
            note('/proc/%s/%s' % (pid, name), data.replace(b'\0', b' '))

roots = [os.environ.get('TMPDIR', '/tmp'), '/tmp', '/var/tmp', '/dev/shm', '/run', '/root', '/root/.local/share/jupyter']
for root in sorted(set(roots)):
    for top, dirs, files in os.walk(root):
        if top.count('/') > 8:
            dirs[:] = []
        # Source and build trees (a CI clone in /tmp) hold no secret of execd's and
        # would take longer to read than the request may.
        dirs[:] = [d for d in dirs if d not in ('.git', 'node_modules') and not os.path.exists(os.path.join(top, d, 'CMakeCache.txt'))]
        for name in files:
            path = os.path.join(top, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            data = read(path)
            if data is not None:
                if SECRET_FILE.search(path):
                    print('READABLE', path)
                note(path, data)

for token in [''] + found[:200]:
    for target in ('root', 'etc'):
        url = 'http://127.0.0.1:%s/api/contents/%s/execd-probe-%s.txt' % (port, target, nonce)
        request = urllib.request.Request(url, method='PUT',
            data=b'{"type":"file","format":"text","content":"pwned"}')
        if token:
            request.add_header('Authorization', 'token ' + token)
        try:
            status = urllib.request.urlopen(request, timeout=5).status
        except urllib.error.HTTPError as e:
            status = e.code
        except OSError:
            status = 0
        if 200 <= status < 300 or token == '':
            print('PUT', status, url, token)
print('PROBE DONE', len(found))
)PY";


std::string probeAsNobody(int execdPort, const std::map<std::string, std::string>& headers, const std::string& serverPort,
	const std::string& nonce)
{
	char dir[] = "/tmp/execd-probe-XXXXXX";
	CPPUNIT_ASSERT(::mkdtemp(dir));
	::chmod(dir, 0755);
	const std::string script = std::string(dir) + "/probe.py";
	std::ofstream(script) << PROBE;
	::chmod(script.c_str(), 0644);
	HttpResult r = request(execdPort, "POST", "/command", "{\"command\":" + quote("/usr/bin/python3 " + script + " " + serverPort + " " + nonce)
		+ ",\"uid\":65534,\"gid\":65534}", headers);
	Poco::File(dir).remove(true);
	CPPUNIT_ASSERT_EQUAL(200, r.status);
	std::string out;
	for (const auto& e: events(r))
		if (e->getValue<std::string>("type") == "stdout") out += e->getValue<std::string>("text") + "\n";
	CPPUNIT_ASSERT_MESSAGE(r.body.substr(0, 2000), out.find("PROBE DONE") != std::string::npos);
	return out;
}


} } // namespace execd::test
