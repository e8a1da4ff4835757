#pragma once

#include <string>
#include <vector>


namespace execd {
namespace jupyter {


class KernelWire
	/// The Jupyter messaging protocol's wire format over ZeroMQ (spec 5.x): a
	/// message is the multipart
	///
	///     identities..., "<IDS|MSG>", signature, header, parent_header, metadata, content, buffers...
	///
	/// where signature is the lowercase hex HMAC-SHA256 of the four JSON frames,
	/// keyed with the connection file's key ("" when the key is empty: unsigned).
	/// A received message whose signature does not match is refused (compared in
	/// constant time), as jupyter_client does.
{
public:
	enum class Result
	{
		OK,
		MALFORMED,       ///< no delimiter, or fewer than four frames after the signature
		BAD_SIGNATURE
	};

	struct Message
	{
		std::vector<std::string> identities;
		std::string header;
		std::string parentHeader;
		std::string metadata;
		std::string content;
		std::vector<std::string> buffers;
	};

	explicit KernelWire(std::string key);

	std::vector<std::string> encode(const Message& message) const;
		/// The frames to send, signed.

	Result decode(const std::vector<std::string>& frames, Message& message) const;
		/// message is filled only when the result is OK.

	std::string sign(const std::string& header, const std::string& parentHeader, const std::string& metadata,
		const std::string& content) const;

	static const std::string DELIMITER;   ///< "<IDS|MSG>"

private:
	std::string _key;
};


} } // namespace execd::jupyter
