#pragma once

#include "IsolationService.h"
#include "execd/JsonHandler.h"


namespace execd {
namespace isolation {


class IsolationHandler: public JsonHandler
	/// The JSON routes of /v1/isolated (contract §2.1–§2.5, §2.7).
{
public:
	enum class Kind
	{
		CAPABILITIES,
		CREATE,
		LIST,
		STATE,
		DELETE,
		DIFF,
		COMMIT
	};

	IsolationHandler(RouteMatch match, IsolationService& service, Kind kind);

protected:
	// execd::JsonHandler
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override;

private:
	IsolationService& _service;
	const Kind _kind;
};


} } // namespace execd::isolation
