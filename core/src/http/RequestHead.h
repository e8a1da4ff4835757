#pragma once

#include "Poco/Net/HTTPRequest.h"
#include <cstddef>
#include <string>


namespace execd {


class RequestHead
	/// Checks on HTTP/1.x request heads that need no I/O, so that the connection
	/// reactor and the fuzzers (test/fuzz) share them: where a head ends in the
	/// bytes received so far, and whether a parsed head frames its body
	/// unambiguously (RFC 9112 §2.2, §6).
{
public:
	static constexpr std::size_t NPOS = static_cast<std::size_t>(-1);

	static constexpr std::size_t MAX_CONTENT_LENGTH_DIGITS = 18;   ///< fits an Int64 with room to spare

	static std::size_t findEnd(const char* data, std::size_t size, std::size_t from = 0);
		/// Returns the offset just past the empty line that ends the head in
		/// data[0, size), or NPOS when it has not arrived yet. Empty lines before
		/// the request line are skipped, as RFC 9112 §2.2 allows, and a bare LF
		/// ends a line as it does for POCO's parser. from is the size of an
		/// earlier call on a prefix of the same bytes, so that only new bytes are
		/// scanned.

	static void validate(const Poco::Net::HTTPRequest& request);
		/// Throws ApiException for a head execd must not serve:
		///   - 505 for a version other than HTTP/1.0 or HTTP/1.1 (400 for one that
		///     is not of the form HTTP/d.d);
		///   - 400 for Transfer-Encoding together with Content-Length, a
		///     Content-Length that is not a plain decimal number (no sign, no
		///     spaces), Content-Lengths that differ, or a Transfer-Encoding whose
		///     last coding is not chunked, or chunked twice;
		///   - 501 for any transfer coding but chunked.
		/// Every such connection must be closed after the answer: the body's end
		/// cannot be known, so the next bytes cannot be trusted as a request.

	static bool isHttp10(const Poco::Net::HTTPRequest& request);
		/// True for an HTTP/1.0 request, which must not get a chunked response.
};


} // namespace execd
