#pragma once

#include "Poco/Exception.h"
#include "Poco/Net/HTTPServerParams.h"
#include "Poco/Net/HTTPServerRequest.h"
#include "Poco/Net/HTTPServerResponse.h"
#include "Poco/Net/SocketAddress.h"
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <functional>
#include <sstream>
#include <string>
#include <typeinfo>


namespace execd {
namespace fuzz {


class FuzzResponse: public Poco::Net::HTTPServerResponse
	/// A response that collects what a handler sends in memory.
{
public:
	FuzzResponse() = default;

	const std::string& text() const;
		/// Everything written after send() or sendBuffer(): the body, not the head.

	// Poco::Net::HTTPServerResponse
	void sendContinue() override;
	std::ostream& send() override;
	void sendFile(const std::string& path, const std::string& mediaType) override;
		/// Throws Poco::NotImplementedException: no fuzzed handler serves files.
	void sendBuffer(const void* pBuffer, std::size_t length) override;
	void redirect(const std::string& uri, HTTPStatus status = HTTP_FOUND) override;
	void requireAuthentication(const std::string& realm) override;
	bool sent() const override;

private:
	std::ostringstream _body;
	mutable std::string _text;
	bool _sent = false;
};


class FuzzRequest: public Poco::Net::HTTPServerRequest
	/// A request with a fixed-length body held in memory, for driving handlers and
	/// body decoders without a socket.
{
public:
	FuzzRequest(const std::string& method, const std::string& uri, const std::string& body);

	// Poco::Net::HTTPServerRequest
	std::istream& stream() override;
	const Poco::Net::SocketAddress& clientAddress() const override;
	const Poco::Net::SocketAddress& serverAddress() const override;
	const Poco::Net::HTTPServerParams& serverParams() const override;
	Poco::Net::HTTPServerResponse& response() const override;
	bool secure() const override;

	FuzzResponse& fuzzResponse();

private:
	std::istringstream _body;
	Poco::Net::SocketAddress _address;
	Poco::Net::HTTPServerParams::Ptr _pParams;
	mutable FuzzResponse _response;
};


[[noreturn]] void finding(const std::string& what);
	/// Reports a broken property on stderr and aborts, so that libFuzzer saves the input.


template <typename Function>
bool expectBadInput(Function&& function)
	/// Runs function. True when it returned; false when it threw a Poco::Exception
	/// (ApiException included), the expected outcome of bad input. Any other exception
	/// is a finding().
{
	try
	{
		function();
		return true;
	}
	catch (Poco::Exception&)
	{
		return false;
	}
	catch (std::exception& exc)
	{
		finding(std::string("uncaught ") + typeid(exc).name() + ": " + exc.what());
	}
	catch (...)
	{
		finding("uncaught exception of unknown type");
	}
}


constexpr std::size_t REQUEST_STACK_BYTES = 512 * 1024;
	/// The stack of execd's request threads (execd.http.threadStackBytes).


void onRequestStack(const std::function<void()>& function);
	/// Runs function on a thread with a REQUEST_STACK_BYTES stack, as a request
	/// handler runs, and rethrows what it throws: recursion that a client can
	/// drive deep enough overflows here as it would in execd.


inline void require(bool condition, const std::string& what)
	/// finding(what) unless condition holds.
{
	if (!condition) finding(what);
}


} } // namespace execd::fuzz
