#pragma once

#include "execd/StreamEvent.h"
#include <string>


namespace execd {
namespace java {


struct JShellReply
	/// One reply of the JShell runner (runner/ExecdJShell.java) on its control
	/// pipe after a RUN: a head line "DONE <execution count>", or "<KIND> <bytes>"
	/// followed by that many bytes of body, where KIND is RESULT or ERROR.
{
	enum Kind
	{
		DONE,     ///< the run is over
		RESULT,   ///< body: the text of the cell's value
		ERROR,    ///< body: "<ename>\n<evalue length>\n<evalue><traceback lines>", see error()
		OTHER     ///< a head line of another kind, or with no length: skipped
	};

	Kind kind = OTHER;
	int count = 0;       ///< DONE: the runner's execution count
	std::string body;

	static bool take(std::string& pending, JShellReply& reply);
		/// Moves the first whole reply out of pending (the bytes read so far) into
		/// reply. Returns false, leaving pending as it was, while pending holds no
		/// whole reply yet.

	ErrorDetail error() const;
		/// The error an ERROR body describes.
};


} } // namespace execd::java
