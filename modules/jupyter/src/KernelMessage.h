#pragma once

#include "execd/StreamEvent.h"
#include "Poco/JSON/Array.h"
#include "Poco/JSON/Object.h"
#include <string>
#include <vector>


namespace execd {
namespace jupyter {


class KernelMessage
	/// A message from a kernel, as KernelChannel::receive() returns it, read the
	/// way execd needs it: missing parts read as empty. Also turns the content of
	/// output messages into the objects of execd's events.
{
public:
	explicit KernelMessage(Poco::JSON::Object::Ptr pMessage);
		/// pMessage must not be null.

	std::string channel() const;
		/// "shell", "iopub", ...

	std::string type() const;
		/// The header's msg_type; "" without one.

	std::string parentId() const;
		/// The parent header's msg_id: the request this message answers; "" without one.

	Poco::JSON::Object::Ptr content() const;
		/// May be null.

	std::string executionState() const;
		/// A status message's execution_state ("busy", "idle", "restarting", "dead"); "" for other messages.

	static Poco::JSON::Object::Ptr results(Poco::JSON::Object::Ptr data);
		/// A MIME bundle (execute_result, display_data) as a result event's results:
		/// "text/plain" is renamed "text", as SDKs expect; the rest is kept. Null data
		/// gives an empty object.

	static ErrorDetail error(const Poco::JSON::Object& content, const std::string& defaultName);
		/// ename (defaultName when missing), evalue and traceback (entries
		/// converted to text) of an error message's content.

private:
	Poco::JSON::Object::Ptr _pMessage;
};


} } // namespace execd::jupyter
