#include "RunHandler.h"
#include "execd/ApiException.h"
#include "execd/Http.h"
#include <climits>


namespace execd {
namespace isolation {


RunHandler::RunHandler(RouteMatch match, IsolationService& service):
	StreamHandler(std::move(match)),
	_service(service)
{
}


void RunHandler::stream(Poco::Net::HTTPServerRequest& request, SseWriter& sink)
{
	if (!_service.usable()) throw ApiException(503, ErrorCode::SERVICE_UNAVAILABLE, "isolation unavailable");
	JsonBody body = JsonBody::read(request, "");
	const std::string code = body.getString("code").value_or("");
	if (code.empty()) throw ApiException::badRequest("Key: 'IsolatedRunRequest.Code' Error:Field validation for 'Code' failed on the 'required' tag");
	const std::map<std::string, std::string> envMap = body.getStringMap("envs").value_or(std::map<std::string, std::string>());
	const Poco::Int64 timeout = body.getInt("timeout_seconds", LLONG_MIN, LLONG_MAX).value_or(0);
	if (timeout < 0)
		throw ApiException::badRequest("Key: 'IsolatedRunRequest.TimeoutSeconds' Error:Field validation for 'TimeoutSeconds' failed on the 'gte' tag");
	sink.setPings(false);   // isolated streams have no ping events
	const std::string id = match().param("id");
	std::optional<SessionRegistry::Entry> entry = _service.registry().find(id);
	if (!entry) throw ApiException::notFound(ErrorCode::SESSION_NOT_FOUND, "session not found");

	std::lock_guard<std::mutex> running(*entry->running);   // runs are serialised; GC waits
	std::vector<std::pair<std::string, std::string>> envs(envMap.begin(), envMap.end());
	IsolatedSession::Outcome outcome;
	if (entry->stopping)
		outcome.error = "isolated session is not active: session process has exited";
	else
		outcome = entry->session->run(code, envs, std::chrono::seconds(timeout), [&sink](const std::string& line)
		{
			sink.emit(StreamEvent::stdoutText(line));
			return sink.isOpen();
		}, Http::descriptorOf(request));
	if (outcome.status)
	{
		_service.registry().completedRun(id);
		if (*outcome.status == 0)
		{
			sink.emit(StreamEvent::complete(0));
			return;
		}
		StreamEvent event = StreamEvent::failure(ErrorDetail{"ExitError", std::to_string(*outcome.status), {}, true});
		event.text = "command exited with code " + std::to_string(*outcome.status);
		sink.emit(event);
		return;
	}
	StreamEvent event = StreamEvent::failure(ErrorDetail{"RuntimeError", outcome.error, {}, true});
	event.text = outcome.error;
	sink.emit(event);
}


bool RunHandler::resumable() const
{
	return false;
}


} } // namespace execd::isolation
