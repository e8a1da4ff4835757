#include "JupyterClient.h"
#include "Poco/JSON/Object.h"
#include "Poco/JSON/Parser.h"
#include "Poco/Net/HTTPClientSession.h"
#include "Poco/Net/HTTPRequest.h"
#include "Poco/Net/HTTPResponse.h"
#include "Poco/StreamCopier.h"
#include "Poco/UUIDGenerator.h"
#include <algorithm>
#include <sstream>


namespace execd {
namespace jupyter {


namespace {


Poco::JSON::Object::Ptr parseObject(const std::string& text)
{
	return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
}


} // namespace


JupyterClient::JupyterClient(JupyterServer& server):
	_server(server)
{
}


JupyterClient::Session JupyterClient::startSession(const std::string& directory, const std::string& kernelspec,
	std::chrono::milliseconds timeout)
{
	std::string name = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
	name.erase(std::remove(name.begin(), name.end(), '-'), name.end());
	Poco::JSON::Object body;
	// The kernel runs in this notebook's directory: the embedded server takes
	// the path as absolute (its root_dir is an empty private directory, see
	// JupyterServer); an external server rooted at "/" does the same.
	body.set("path", directory + "/" + name + ".ipynb");
	body.set("name", name);
	body.set("type", "notebook");
	Poco::JSON::Object::Ptr kernel = new Poco::JSON::Object;
	kernel->set("name", kernelspec);
	body.set("kernel", kernel);
	std::ostringstream out;
	body.stringify(out);
	int status = 0;
	Session session;
	_server.base(timeout);   // wait for the server: the generation must be the one that serves us
	session.generation = _server.generation();
	std::string answer = request("POST", "/api/sessions", out.str(), status, timeout);
	if (status != 200 && status != 201)
	{
		std::string message = answer;
		try
		{
			message = parseObject(answer)->optValue<std::string>("message", answer);
		}
		catch (...)
		{
		}
		throw Poco::RuntimeException("Jupyter refused to start kernel " + kernelspec + " (HTTP " + std::to_string(status) + "): " + message);
	}
	auto started = parseObject(answer);
	session.sessionId = started->getValue<std::string>("id");
	session.kernelId = started->getObject("kernel")->getValue<std::string>("id");
	return session;
}


int JupyterClient::deleteSession(const std::string& sessionId)
{
	int status = 0;
	request("DELETE", "/api/sessions/" + sessionId, "", status, std::chrono::seconds(10));
	return status;
}


int JupyterClient::interruptKernel(const std::string& kernelId)
{
	int status = 0;
	request("POST", "/api/kernels/" + kernelId + "/interrupt", "", status, std::chrono::seconds(10));
	return status;
}


std::string JupyterClient::request(const std::string& method, const std::string& path, const std::string& body,
	int& status, std::chrono::milliseconds timeout)
{
	Poco::URI uri = _server.base(timeout);
	Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
	session.setTimeout(Poco::Timespan(timeout.count() * 1000));
	std::string prefix = uri.getPath();
	if (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
	Poco::Net::HTTPRequest request(method, prefix + path, Poco::Net::HTTPMessage::HTTP_1_1);
	request.set("Authorization", "token " + _server.token());
	if (!body.empty())
	{
		request.setContentType("application/json");
		request.setContentLength(static_cast<std::streamsize>(body.size()));
		session.sendRequest(request) << body;
	}
	else
	{
		if (method == "POST") request.setContentLength(0);
		session.sendRequest(request);
	}
	Poco::Net::HTTPResponse response;
	std::istream& in = session.receiveResponse(response);
	std::string out;
	Poco::StreamCopier::copyToString(in, out);
	status = response.getStatus();
	return out;
}


} } // namespace execd::jupyter
