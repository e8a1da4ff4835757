#pragma once

#include <chrono>
#include <string>
#include <vector>


namespace execd {
namespace isolation {


struct Capabilities
	/// What the start-up probe found (contract §3.6): the answer of
	/// GET /v1/isolated/capabilities is made from it.
{
	std::string bwrap;              ///< its path; "" when none was found
	std::string version;            ///< x.y.z from bwrap --version; "" when unparsable
	bool setprivAvailable = false;  ///< a session with execd's own identity starts
	bool identitySwitch = false;    ///< setpriv can switch to another uid/gid (65534)
	bool usernsAvailable = false;   ///< a session in a user namespace starts
	bool overlayAvailable = false;  ///< execd can mount an overlay (bwrap 0.8 has none of its own)
	std::string message;            ///< why isolation is unavailable; "" when it is available

	bool available() const;
		/// setpriv or userns works.

	std::string json(bool runner, bool diffAndCommit) const;
		/// The capabilities document, in upstream's field order: available, isolator,
		/// version, message (only without a runner), setpriv_available,
		/// userns_available, commit_supported, diff_supported.
};


class BwrapProbe
	/// Finds bubblewrap and tries it once, at start-up: `bwrap --version`, then a
	/// minimal session with execd's identity (setpriv mode), one that switches to
	/// 65534 (or 65533), and one in a user namespace. Every try has a deadline.
{
public:
	static const std::vector<std::string> SEARCHED;
		///< after $PATH: /opt/opensandbox/bwrap, /usr/bin/bwrap, /usr/local/bin/bwrap

	static std::string find(const std::string& pathVariable);
		/// The first executable bwrap on pathVariable, then in SEARCHED; "" if none.

	static std::string parseVersion(const std::string& output);
		/// "0.8.0" from "bubblewrap 0.8.0" (or "bwrap 0.11.2"); "" otherwise.

	static Capabilities run(std::chrono::milliseconds deadline = std::chrono::seconds(5));
		/// The whole probe.

	static int exitStatus(const std::vector<std::string>& argv, std::chrono::milliseconds deadline, std::string* pOutput = nullptr);
		/// Runs argv (stdin /dev/null), returns its exit code, or -1 when it could not
		/// start, was killed, or outlived the deadline (then it is killed). pOutput
		/// gets at most 4 KB of its stdout and stderr.
};


} } // namespace execd::isolation
