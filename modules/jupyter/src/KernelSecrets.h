#pragma once

#include <string>
#include <vector>


namespace execd {
namespace jupyter {


class KernelSecrets
	/// What keeps execd's secrets and the kernels' keys to execd: random tokens,
	/// files only their owner can read, and environments without execd's secrets
	/// for the processes it starts (a Jupyter server, kernels).
{
public:
	static std::string randomHex(int bytes);
		/// bytes random bytes as lowercase hex.

	static void writePrivate(const std::string& path, const std::string& text);
		/// A new file (never an existing one, nor through a symbolic link) of mode
		/// 0600 whatever the umask. Throws Poco::SystemException.

	static bool isSecret(const std::string& entry);
		/// True for an environment entry (NAME=value) of one of execd's secrets:
		/// EXECD_ACCESS_TOKEN, JUPYTER_TOKEN, JUPYTER_TOKEN_FILE.

	static std::vector<std::string> environment();
		/// execd's environment without its secrets.
};


} } // namespace execd::jupyter
