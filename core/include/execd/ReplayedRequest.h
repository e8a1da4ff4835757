#pragma once

#include "execd/RunJournal.h"
#include "Poco/Net/HTTPServerRequest.h"
#include <istream>
#include <memory>


namespace execd {


class EXECD_API ReplayedRequest: public Poco::Net::HTTPServerRequest
	/// A request as a handler sees it when execd has to see its body first (an
	/// Idempotency-Key): the original's method, target, version and header
	/// fields, with the body read from another stream (the bytes read already,
	/// or the original's through a digest). The rest is the original's.
	///
	/// For a run, the journal its stream must keep, so that a retry can follow it
	/// (StreamHandler uses it).
{
public:
	ReplayedRequest(Poco::Net::HTTPServerRequest& original, std::istream& body);
	~ReplayedRequest() override;

	Poco::Net::HTTPServerRequest& original() const;

	void setJournal(std::shared_ptr<RunJournal> pJournal);
	std::shared_ptr<RunJournal> journal() const;

	// Poco::Net::HTTPServerRequest
	std::istream& stream() override;
	const Poco::Net::SocketAddress& clientAddress() const override;
	const Poco::Net::SocketAddress& serverAddress() const override;
	const Poco::Net::HTTPServerParams& serverParams() const override;
	Poco::Net::HTTPServerResponse& response() const override;
	bool secure() const override;

private:
	Poco::Net::HTTPServerRequest& _original;
	std::istream& _body;
	std::shared_ptr<RunJournal> _pJournal;
};


} // namespace execd
