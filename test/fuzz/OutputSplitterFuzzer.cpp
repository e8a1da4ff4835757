// The line splitter of command output (shell OutputSplitter) and the event JSON
// that carries each piece over SSE (StreamEvent::toJson, Json::stringify). The
// input is one byte of piece limit, one byte of read size, then the output bytes.
//
// Properties: pieces are never longer than the limit and never hold a line
// terminator; their bytes are the input's minus the terminators; how the output
// is cut into reads changes nothing; valid UTF-8 is never cut inside a
// character; every event is one line of valid JSON whose text, read back, is
// the sanitized piece; Json::stringify of any parsed JSON is JSON again.

#include "FuzzSupport.h"
#include "execd/OutputSplitter.h"
#include "execd/StreamEvent.h"
#include "Poco/JSON/Parser.h"
#include <algorithm>


using namespace execd;
using execd::fuzz::require;


namespace {


std::vector<std::string> split(const std::string& bytes, std::size_t maxPiece, std::size_t readSize)
{
	OutputSplitter splitter(maxPiece);
	std::vector<std::string> pieces;
	for (std::size_t at = 0; at < bytes.size(); at += readSize)
		splitter.feed(bytes.data() + at, std::min(readSize, bytes.size() - at), pieces);
	splitter.finish(pieces);
	require(splitter.pending() == 0, "bytes left after finish()");
	return pieces;
}


Poco::Dynamic::Var parse(const std::string& json)
{
	Poco::JSON::Parser parser;
	parser.setDepth(64);
	return parser.parse(json);
}


void checkEvent(const StreamEvent& event)
{
	std::string json = event.toJson();
	require(json.find('\n') == std::string::npos && json.find('\r') == std::string::npos, "a line break inside an SSE event: " + json);
	require(Json::sanitizeUtf8(json) == json, "an event that is not valid UTF-8");
	Poco::Dynamic::Var value;
	bool parsed = fuzz::expectBadInput([&] { value = parse(json); });
	require(parsed, "an event that is not JSON: " + json);
	auto pObject = value.extract<Poco::JSON::Object::Ptr>();
	require(pObject->getValue<std::string>("type") == eventTypeName(event.type), "the event type does not read back");
	if (!event.text.empty())
		require(pObject->getValue<std::string>("text") == Json::sanitizeUtf8(event.text), "the event text does not read back: " + json);
}


} // namespace


extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
	if (size < 2) return 0;
	const std::size_t maxPiece = 4 + data[0] % 61;
	const std::size_t readSize = 1 + data[1] % 17;
	const std::string bytes(reinterpret_cast<const char*>(data) + 2, size - 2);

	std::vector<std::string> pieces = split(bytes, maxPiece, readSize);
	require(pieces == split(bytes, maxPiece, bytes.size() + 1), "the pieces depend on how the output was read");
	std::string joined;
	for (const std::string& piece: pieces)
	{
		require(!piece.empty() && piece.size() <= maxPiece, "a piece empty or over the limit");
		if (piece == "\n") continue;
		require(piece.find_first_of("\r\n") == std::string::npos, "a line terminator inside a piece");
		joined += piece;
	}
	std::string expected = bytes;
	expected.erase(std::remove_if(expected.begin(), expected.end(), [](char c) { return c == '\r' || c == '\n'; }), expected.end());
	require(joined == expected, "the pieces do not add up to the output");
	if (Json::sanitizeUtf8(bytes) == bytes)
	{
		for (const std::string& piece: pieces)
			require(Json::sanitizeUtf8(piece) == piece, "valid UTF-8 cut inside a character");
	}

	for (const std::string& piece: pieces)
		checkEvent(StreamEvent::stdoutText(piece));
	ErrorDetail detail;
	detail.ename = bytes.substr(0, 16);
	detail.evalue = bytes;
	detail.traceback = pieces;
	checkEvent(StreamEvent::failure(detail));

	// Results are JSON from kernels, serialised again by Json::stringify.
	Poco::Dynamic::Var value;
	if (fuzz::expectBadInput([&] { value = parse(bytes); }))
	{
		std::string json = Json::stringify(value);
		require(fuzz::expectBadInput([&] { parse(json); }), "stringify() wrote what is not JSON: " + json);
		if (value.type() == typeid(Poco::JSON::Object::Ptr))
			checkEvent(StreamEvent::result(value.extract<Poco::JSON::Object::Ptr>()));
	}
	return 0;
}
