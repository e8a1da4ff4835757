#pragma once

#include <functional>
#include <istream>
#include <map>
#include <string>
#include <vector>


namespace execd {
namespace files {


class MultipartParser
	/// A streaming multipart/form-data reader: parts are read block by block, in
	/// constant memory, whatever their size. Unlike Poco::Net::MultipartReader it
	/// tells a complete body (closing delimiter seen) from a cut-off one, which is
	/// what decides whether an upload may be committed.
{
public:
	struct Part
	{
		std::map<std::string, std::string> headers;   ///< names lower-cased
		std::string name;                             ///< Content-Disposition name
		bool hasFilename = false;                     ///< filename= or filename*= present
	};

	MultipartParser(std::istream& in, std::string boundary);

	bool next(Part& part);
		/// Reads up to the next part's body. False after the closing delimiter.
		/// Throws Poco::DataFormatException when the body is malformed or ends early.

	void read(const std::function<void(const char*, std::size_t)>& sink);
		/// Passes the current part's body to sink, in blocks, up to its delimiter.

	static std::string boundaryOf(const std::string& contentType);
		/// The boundary parameter of a multipart/form-data Content-Type; "" if none.

	static void parseDisposition(const std::string& value, Part& part);

private:
	bool fill();                      // false at end of input
	std::size_t find(const std::string& what, std::size_t from) const;

	std::istream& _in;
	std::string _delimiter;           // "\r\n--" + boundary
	std::vector<char> _buffer;
	std::size_t _begin = 0;
	std::size_t _end = 0;
	bool _eof = false;
	bool _inBody = false;
	bool _done = false;
};


} } // namespace execd::files
