#include "KernelMessage.h"


namespace execd {
namespace jupyter {


KernelMessage::KernelMessage(Poco::JSON::Object::Ptr pMessage):
	_pMessage(std::move(pMessage))
{
}


std::string KernelMessage::channel() const
{
	return _pMessage->optValue<std::string>("channel", "");
}


std::string KernelMessage::type() const
{
	auto header = _pMessage->getObject("header");
	return header ? header->optValue<std::string>("msg_type", "") : "";
}


std::string KernelMessage::parentId() const
{
	auto parent = _pMessage->getObject("parent_header");
	return parent ? parent->optValue<std::string>("msg_id", "") : "";
}


Poco::JSON::Object::Ptr KernelMessage::content() const
{
	return _pMessage->getObject("content");
}


std::string KernelMessage::executionState() const
{
	auto body = content();
	if (type() != "status" || !body) return "";
	return body->optValue<std::string>("execution_state", "");
}


Poco::JSON::Object::Ptr KernelMessage::results(Poco::JSON::Object::Ptr data)
{
	Poco::JSON::Object::Ptr out = new Poco::JSON::Object;
	if (!data) return out;
	std::vector<std::string> names;
	data->getNames(names);
	for (const std::string& name: names)
		out->set(name == "text/plain" ? "text" : name, data->get(name));
	return out;
}


ErrorDetail KernelMessage::error(const Poco::JSON::Object& content, const std::string& defaultName)
{
	ErrorDetail detail;
	detail.ename = content.optValue<std::string>("ename", defaultName);
	detail.evalue = content.optValue<std::string>("evalue", "");
	if (auto trace = content.getArray("traceback"))
		for (std::size_t i = 0; i < trace->size(); ++i)
			detail.traceback.push_back(trace->getElement<std::string>(static_cast<unsigned>(i)));
	return detail;
}


} } // namespace execd::jupyter
