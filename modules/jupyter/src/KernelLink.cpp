#include "KernelLink.h"


namespace execd {
namespace jupyter {


KernelLink::KernelLink(std::string clientSession):
	_clientSession(std::move(clientSession))
{
}


KernelLink::~KernelLink() = default;


const std::string& KernelLink::clientSession() const
{
	return _clientSession;
}


std::string KernelLink::nextId()
{
	return _clientSession + "-" + std::to_string(++_counter);
}


} } // namespace execd::jupyter
