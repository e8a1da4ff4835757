#include "JShellReply.h"
#include <cstdlib>


namespace execd {
namespace java {


bool JShellReply::take(std::string& pending, JShellReply& reply)
{
	std::size_t eol = pending.find('\n');
	if (eol == std::string::npos) return false;
	std::string head = pending.substr(0, eol);
	if (head.rfind("DONE ", 0) == 0)
	{
		pending.erase(0, eol + 1);
		reply.kind = DONE;
		reply.count = std::atoi(head.c_str() + 5);
		reply.body.clear();
		return true;
	}
	std::size_t space = head.find(' ');
	if (space == std::string::npos)
	{
		pending.erase(0, eol + 1);
		reply.kind = OTHER;
		reply.body.clear();
		return true;
	}
	std::size_t length = static_cast<std::size_t>(std::atoll(head.c_str() + space + 1));
	if (pending.size() < eol + 1 + length) return false;
	reply.body = pending.substr(eol + 1, length);
	pending.erase(0, eol + 1 + length);
	if (head.rfind("RESULT ", 0) == 0) reply.kind = RESULT;
	else if (head.rfind("ERROR ", 0) == 0) reply.kind = ERROR;
	else reply.kind = OTHER;
	return true;
}


ErrorDetail JShellReply::error() const
{
	ErrorDetail detail;
	std::size_t a = body.find('\n');
	detail.ename = body.substr(0, a);
	std::size_t b = body.find('\n', a + 1);
	std::size_t valueLength = static_cast<std::size_t>(std::atoll(body.c_str() + a + 1));
	detail.evalue = body.substr(b + 1, valueLength);
	std::string trace = body.substr(b + 1 + valueLength);
	std::size_t pos = 0;
	while (pos < trace.size())
	{
		std::size_t end = trace.find('\n', pos);
		if (end == std::string::npos) end = trace.size();
		detail.traceback.push_back(trace.substr(pos, end - pos));
		pos = end + 1;
	}
	return detail;
}


} } // namespace execd::java
