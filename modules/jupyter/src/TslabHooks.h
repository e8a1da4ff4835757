#pragma once

#include "execd/StreamEvent.h"
#include "Poco/JSON/Object.h"
#include <optional>
#include <string>


namespace execd {
namespace jupyter {


class TslabHooks
	/// For tslab's kernels (tslab, jslab), which print the value of the last
	/// expression and errors as ordinary output: JavaScript hooks that mark exactly
	/// these writes with a tag only one context knows, and the reading of the
	/// marked output, which becomes result and error events.
{
public:
	static bool wanted(const std::string& implementation);
		/// True for the kernels that need the hooks (kernel_info_reply's implementation).

	TslabHooks();
		/// Hooks with a new random tag.

	explicit TslabHooks(std::string tag);

	const std::string& tag() const;

	std::string code() const;
		/// The code to execute once in the kernel to install the hooks.

	bool marks(const std::string& text) const;
		/// Whether a stream message's text is the hooks' output.

	void read(const std::string& text, Poco::JSON::Object::Ptr& result, std::optional<ErrorDetail>& error) const;
		/// The hooks' output (marks(text) is true): the last value ("R<value>\n")
		/// replaces result; an error ("E<json>\n") is set, or, as several errors come
		/// one per TypeScript diagnostic, adds its traceback to the error already set.

private:
	std::string _tag;
};


} } // namespace execd::jupyter
