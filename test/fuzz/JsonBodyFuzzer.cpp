// JSON request decoding of every body type: the fuzz input is the request body.
// Bad input must end in an ApiException or a Poco exception (a 4xx or an expected
// 5xx); a crash, an uncaught non-Poco exception, or an "internal error" answer
// (Http::translate met an exception it did not expect, and logged it) is a finding.

#include "modules/CodeHandlers.h"
#include "CommandRequest.h"
#include "FilesBodies.h"
#include "FuzzSupport.h"
#include "execd/ExecutorRegistry.h"
#include "execd/Http.h"
#include "Poco/AutoPtr.h"
#include "Poco/Channel.h"
#include "Poco/Logger.h"
#include "Poco/Message.h"
#include <limits>
#include <memory>
#include <vector>


using namespace execd;
using execd::fuzz::expectBadInput;
using execd::fuzz::FuzzRequest;


namespace {


const std::string PREFIX = "error parsing request, MAYBE invalid body format. ";
constexpr Poco::Int64 MIN = std::numeric_limits<Poco::Int64>::min();
constexpr Poco::Int64 MAX = std::numeric_limits<Poco::Int64>::max();


class UnexpectedErrors: public Poco::Channel
	// Receives what Http::translate logs for an exception it did not expect.
{
public:
	void log(const Poco::Message& message) override
	{
		last = message.getText();
	}

	std::string last;
};


UnexpectedErrors& unexpectedErrors()
{
	static Poco::AutoPtr<UnexpectedErrors> pChannel = [] {
		Poco::AutoPtr<UnexpectedErrors> p(new UnexpectedErrors);
		Poco::Logger::get("execd.http").setChannel(p);
		Poco::Logger::get("execd.http").setLevel(Poco::Message::PRIO_ERROR);
		return p;
	}();
	return *pChannel;
}


void everyGetter(const JsonBody& body, int depth)
	// Every typed getter on every key, as some body type might read it.
{
	std::vector<std::string> names;
	body.object()->getNames(names);
	for (const std::string& name: names)
	{
		expectBadInput([&] { body.has(name); });
		expectBadInput([&] { body.getString(name); });
		expectBadInput([&] { body.getInt(name, MIN, MAX); });
		expectBadInput([&] { body.getInt(name, 0, 4294967295LL); });
		expectBadInput([&] { body.getBool(name); });
		expectBadInput([&] { body.getStringMap(name); });
		if (depth < 3)
		{
			expectBadInput([&] {
				if (auto inner = body.getObject(name)) everyGetter(*inner, depth + 1);
			});
		}
	}
}


void jsonBody(const std::string& text)
{
	JsonBody body = JsonBody::parse(text, PREFIX);
	everyGetter(body, 0);
	// POST /session/{id}/run and POST /pty read these keys with these types.
	expectBadInput([&] { body.getString("command"); body.getString("cwd"); body.getInt("timeout", MIN, MAX); });
}


void command(const std::string& text)
{
	// POST /command
	shell::CommandRequest::fromJson(JsonBody::parse(text, PREFIX));
}


void coreHandler(ExecutorRegistry& registry, const std::string& method, const std::string& pattern, const std::string& text)
{
	// POST /code and POST /code/context, through their real handlers; with no
	// executor loaded every request ends in an error before anything runs.
	for (Route& route: coreRoutes(registry))
	{
		if (route.method != method || route.pattern != pattern) continue;
		FuzzRequest request(method, pattern, text);
		std::unique_ptr<Poco::Net::HTTPRequestHandler> pHandler = route.create(RouteMatch(pattern, {}));
		unexpectedErrors().last.clear();
		pHandler->handleRequest(request, request.fuzzResponse());
		fuzz::require(request.fuzzResponse().sent(), method + " " + pattern + " sent no response");
		fuzz::require(unexpectedErrors().last.empty(), method + " " + pattern + " met an unexpected exception: " + unexpectedErrors().last);
	}
}


template <typename Decoder>
void filesBody(Decoder decoder, const std::string& text)
{
	FuzzRequest request("POST", "/files", text);
	decoder(request);
}


void decodeAll(ExecutorRegistry& registry, const std::string& text)
{
	expectBadInput([&] { jsonBody(text); });
	expectBadInput([&] { command(text); });
	coreHandler(registry, "POST", "/code", text);
	coreHandler(registry, "POST", "/code/context", text);
	expectBadInput([&] { filesBody(files::fuzz::decodePermissionEntries, text); });
	expectBadInput([&] { filesBody(files::fuzz::decodeMoves, text); });
	expectBadInput([&] { filesBody(files::fuzz::decodeReplacements, text); });
	expectBadInput([&] { files::fuzz::decodeUploadMetadata(text); });
}


} // namespace


extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
	static ExecutorRegistry registry;
	const std::string text(reinterpret_cast<const char*>(data), size);
	fuzz::onRequestStack([&] { decodeAll(registry, text); });
	return 0;
}
