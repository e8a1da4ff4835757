#include "KernelWire.h"
#include "Poco/DigestEngine.h"
#include "Poco/HMACEngine.h"
#include "Poco/SHA2Engine.h"


namespace execd {
namespace jupyter {


namespace {


class SHA256Engine: public Poco::SHA2Engine
	/// Poco::HMACEngine wants the block and digest sizes as constants.
{
public:
	enum
	{
		BLOCK_SIZE = 64,
		DIGEST_SIZE = 32
	};

	SHA256Engine():
		Poco::SHA2Engine(Poco::SHA2Engine::SHA_256)
	{
	}
};


bool sameInConstantTime(const std::string& a, const std::string& b)
{
	if (a.size() != b.size()) return false;
	unsigned char diff = 0;
	for (std::size_t i = 0; i < a.size(); ++i)
		diff |= static_cast<unsigned char>(a[i] ^ b[i]);
	return diff == 0;
}


} // namespace


const std::string KernelWire::DELIMITER = "<IDS|MSG>";


KernelWire::KernelWire(std::string key):
	_key(std::move(key))
{
}


std::string KernelWire::sign(const std::string& header, const std::string& parentHeader, const std::string& metadata,
	const std::string& content) const
{
	if (_key.empty()) return std::string();
	Poco::HMACEngine<SHA256Engine> hmac(_key);
	hmac.update(header);
	hmac.update(parentHeader);
	hmac.update(metadata);
	hmac.update(content);
	return Poco::DigestEngine::digestToHex(hmac.digest());
}


std::vector<std::string> KernelWire::encode(const Message& message) const
{
	std::vector<std::string> frames = message.identities;
	frames.push_back(DELIMITER);
	frames.push_back(sign(message.header, message.parentHeader, message.metadata, message.content));
	frames.push_back(message.header);
	frames.push_back(message.parentHeader);
	frames.push_back(message.metadata);
	frames.push_back(message.content);
	frames.insert(frames.end(), message.buffers.begin(), message.buffers.end());
	return frames;
}


KernelWire::Result KernelWire::decode(const std::vector<std::string>& frames, Message& message) const
{
	std::size_t delimiter = 0;
	while (delimiter < frames.size() && frames[delimiter] != DELIMITER) ++delimiter;
	if (delimiter == frames.size() || frames.size() - delimiter < 6) return Result::MALFORMED;
	const std::string& signature = frames[delimiter + 1];
	const std::string expected = sign(frames[delimiter + 2], frames[delimiter + 3], frames[delimiter + 4], frames[delimiter + 5]);
	if (!sameInConstantTime(signature, expected)) return Result::BAD_SIGNATURE;
	Message decoded;
	decoded.identities.assign(frames.begin(), frames.begin() + static_cast<std::ptrdiff_t>(delimiter));
	decoded.header = frames[delimiter + 2];
	decoded.parentHeader = frames[delimiter + 3];
	decoded.metadata = frames[delimiter + 4];
	decoded.content = frames[delimiter + 5];
	decoded.buffers.assign(frames.begin() + static_cast<std::ptrdiff_t>(delimiter + 6), frames.end());
	message = std::move(decoded);
	return Result::OK;
}


} } // namespace execd::jupyter
