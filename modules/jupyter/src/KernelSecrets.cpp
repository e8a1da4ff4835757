#include "KernelSecrets.h"
#include "execd/Subprocess.h"
#include "Poco/DigestEngine.h"
#include "Poco/Exception.h"
#include "Poco/RandomStream.h"
#include <cerrno>
#include <fcntl.h>
#include <unistd.h>


namespace execd {
namespace jupyter {


std::string KernelSecrets::randomHex(int bytes)
{
	Poco::DigestEngine::Digest raw(static_cast<std::size_t>(bytes));
	Poco::RandomInputStream().read(reinterpret_cast<char*>(raw.data()), bytes);
	return Poco::DigestEngine::digestToHex(raw);
}


void KernelSecrets::writePrivate(const std::string& path, const std::string& text)
{
	int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) throw Poco::SystemException("cannot create " + path);
	std::size_t done = 0;
	while (done < text.size())
	{
		ssize_t n = ::write(fd, text.data() + done, text.size() - done);
		if (n < 0 && errno == EINTR) continue;
		if (n <= 0)
		{
			::close(fd);
			throw Poco::SystemException("cannot write " + path);
		}
		done += static_cast<std::size_t>(n);
	}
	::close(fd);
}


bool KernelSecrets::isSecret(const std::string& entry)
{
	for (const char* name: {"EXECD_ACCESS_TOKEN=", "JUPYTER_TOKEN=", "JUPYTER_TOKEN_FILE="})
	{
		if (entry.rfind(name, 0) == 0) return true;
	}
	return false;
}


std::vector<std::string> KernelSecrets::environment()
{
	std::vector<std::string> env;
	for (std::string& e: Subprocess::environment())
	{
		if (!isSecret(e)) env.push_back(std::move(e));
	}
	return env;
}


} } // namespace execd::jupyter
