#pragma once

#include "execd/Core.h"
#include "Poco/AutoPtr.h"
#include "Poco/Util/AbstractConfiguration.h"
#include <mutex>
#include <set>
#include <string>


namespace execd {


class EXECD_API TrackingConfiguration: public Poco::Util::AbstractConfiguration
	/// A read-only view of another configuration that remembers which keys were
	/// looked up, so that the core can warn about keys nobody reads (typos).
	/// In libexecd_core behind ModuleContext::config(); exported for execd_daemon,
	/// which tracks the execd.* keys with it, but this header is not installed.
{
public:
	TrackingConfiguration(Poco::AutoPtr<Poco::Util::AbstractConfiguration> pInner, const Poco::Util::AbstractConfiguration* pRoot);
		/// pRoot, when given, resolves "application.*" and "system.*" for ${...} expansion.

	std::set<std::string> readKeys() const;

protected:
	bool getRaw(const std::string& key, std::string& value) const override;
	void setRaw(const std::string& key, const std::string& value) override;
	void enumerate(const std::string& key, Keys& range) const override;
	~TrackingConfiguration() override;

private:
	Poco::AutoPtr<Poco::Util::AbstractConfiguration> _pInner;
	const Poco::Util::AbstractConfiguration* _pRoot;
	mutable std::mutex _mutex;
	mutable std::set<std::string> _read;
};


} // namespace execd
