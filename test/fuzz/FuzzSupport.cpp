#include "FuzzSupport.h"
#include <exception>
#include <pthread.h>


namespace execd {
namespace fuzz {


const std::string& FuzzResponse::text() const
{
	_text = _body.str();
	return _text;
}


void FuzzResponse::sendContinue()
{
}


std::ostream& FuzzResponse::send()
{
	_sent = true;
	return _body;
}


void FuzzResponse::sendFile(const std::string&, const std::string&)
{
	throw Poco::NotImplementedException("FuzzResponse::sendFile");
}


void FuzzResponse::sendBuffer(const void* pBuffer, std::size_t length)
{
	_sent = true;
	_body.write(static_cast<const char*>(pBuffer), static_cast<std::streamsize>(length));
}


void FuzzResponse::redirect(const std::string& uri, HTTPStatus status)
{
	setStatusAndReason(status);
	set("Location", uri);
	_sent = true;
}


void FuzzResponse::requireAuthentication(const std::string&)
{
	setStatusAndReason(HTTP_UNAUTHORIZED);
	_sent = true;
}


bool FuzzResponse::sent() const
{
	return _sent;
}


FuzzRequest::FuzzRequest(const std::string& method, const std::string& uri, const std::string& body):
	_body(body),
	_address("127.0.0.1", 0),
	_pParams(new Poco::Net::HTTPServerParams)
{
	setMethod(method);
	setURI(uri);
	setContentLength64(static_cast<Poco::Int64>(body.size()));
	if (!body.empty()) setContentType("application/json");
}


std::istream& FuzzRequest::stream()
{
	return _body;
}


const Poco::Net::SocketAddress& FuzzRequest::clientAddress() const
{
	return _address;
}


const Poco::Net::SocketAddress& FuzzRequest::serverAddress() const
{
	return _address;
}


const Poco::Net::HTTPServerParams& FuzzRequest::serverParams() const
{
	return *_pParams;
}


Poco::Net::HTTPServerResponse& FuzzRequest::response() const
{
	return _response;
}


bool FuzzRequest::secure() const
{
	return false;
}


FuzzResponse& FuzzRequest::fuzzResponse()
{
	return _response;
}


namespace {


struct StackCall
{
	const std::function<void()>* pFunction;
	std::exception_ptr error;
};


void* runStackCall(void* pArg)
{
	StackCall* pCall = static_cast<StackCall*>(pArg);
	try
	{
		(*pCall->pFunction)();
	}
	catch (...)
	{
		pCall->error = std::current_exception();
	}
	return nullptr;
}


} // namespace


void onRequestStack(const std::function<void()>& function)
{
	StackCall call{&function, nullptr};
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, REQUEST_STACK_BYTES);
	pthread_t thread;
	int rc = pthread_create(&thread, &attr, runStackCall, &call);
	pthread_attr_destroy(&attr);
	if (rc != 0) finding("pthread_create failed");
	pthread_join(thread, nullptr);
	if (call.error) std::rethrow_exception(call.error);
}


void finding(const std::string& what)
{
	std::fprintf(stderr, "==execd-fuzz== FINDING: %s\n", what.c_str());
	std::fflush(stderr);
	std::abort();
}


} } // namespace execd::fuzz
