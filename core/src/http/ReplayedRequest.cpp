#include "execd/ReplayedRequest.h"


namespace execd {


ReplayedRequest::ReplayedRequest(Poco::Net::HTTPServerRequest& original, std::istream& body):
	_original(original),
	_body(body)
{
	setMethod(original.getMethod());
	setURI(original.getURI());
	setVersion(original.getVersion());
	for (const auto& field: original)
		add(field.first, field.second);
}


ReplayedRequest::~ReplayedRequest() = default;


Poco::Net::HTTPServerRequest& ReplayedRequest::original() const
{
	return _original;
}


void ReplayedRequest::setJournal(std::shared_ptr<RunJournal> pJournal)
{
	_pJournal = std::move(pJournal);
}


std::shared_ptr<RunJournal> ReplayedRequest::journal() const
{
	return _pJournal;
}


std::istream& ReplayedRequest::stream()
{
	return _body;
}


const Poco::Net::SocketAddress& ReplayedRequest::clientAddress() const
{
	return _original.clientAddress();
}


const Poco::Net::SocketAddress& ReplayedRequest::serverAddress() const
{
	return _original.serverAddress();
}


const Poco::Net::HTTPServerParams& ReplayedRequest::serverParams() const
{
	return _original.serverParams();
}


Poco::Net::HTTPServerResponse& ReplayedRequest::response() const
{
	return _original.response();
}


bool ReplayedRequest::secure() const
{
	return _original.secure();
}


} // namespace execd
