#pragma once

#include "IsolationService.h"
#include "execd/StreamHandler.h"


namespace execd {
namespace isolation {


class RunHandler: public StreamHandler
	/// POST /v1/isolated/session/{id}/run (contract §2.6): validation and the
	/// session lookup answer as JSON; then one event per output line, and
	/// execution_complete, or an error event (ExitError with the status, or
	/// RuntimeError). No init event: it would give the SDK's execution an id.
{
public:
	RunHandler(RouteMatch match, IsolationService& service);

protected:
	// execd::StreamHandler
	void stream(Poco::Net::HTTPServerRequest& request, SseWriter& sink) override;
	bool resumable() const override;
		/// False: without init, such a run has no id to be found by.

private:
	IsolationService& _service;
};


} } // namespace execd::isolation
