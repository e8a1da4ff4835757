#include "execd/Executor.h"
#include "execd/ApiException.h"
#include "execd/Module.h"
#include "Poco/Exception.h"
#include <tuple>


namespace execd {


EventSink::~EventSink() = default;


bool EventSink::wantsOutcome() const
{
	return false;
}


void EventSink::emitAll(const std::vector<StreamEvent>& events)
{
	for (const StreamEvent& event: events)
		emit(event);
}
Executor::~Executor() = default;
CodeExecutor::~CodeExecutor() = default;


ContextInfo CodeExecutor::createLimitedContext(const std::string& language, const std::string&, const ResourceGroup::Ptr&)
{
	throw ApiException::badRequest(language + " contexts cannot run under resource limits", ErrorCode::LIMITS_UNAVAILABLE);
}
Module::~Module() = default;


bool Executor::interrupt(const std::string&)
{
	return false;
}


bool Executor::emitsLines() const
{
	return false;
}


std::vector<Route> Module::routes()
{
	return {};
}


std::vector<ExecutorBinding> Module::executors()
{
	return {};
}


void Module::start()
{
}


void Module::shutdown()
{
}


bool ExecutorKey::operator < (const ExecutorKey& other) const
{
	return std::tie(kind, name) < std::tie(other.kind, other.name);
}


bool ExecutorKey::operator == (const ExecutorKey& other) const
{
	return kind == other.kind && name == other.name;
}


std::string ExecutorKey::toString() const
{
	return kind + ":" + name;
}


ExecutorBinding ExecutorBinding::code(const std::string& language, CodeExecutor& executor)
{
	ExecutorBinding binding;
	binding.key = ExecutorKey{ExecutorKey::CODE, language};
	binding.pExecutor = &executor;
	binding.pCodeExecutor = &executor;
	return binding;
}


ExecutorBinding ExecutorBinding::command(const std::string& mode, Executor& executor)
{
	ExecutorBinding binding;
	binding.key = ExecutorKey{ExecutorKey::COMMAND, mode};
	binding.pExecutor = &executor;
	return binding;
}


} // namespace execd
