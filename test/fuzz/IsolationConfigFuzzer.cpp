// The isolation TOML subset (execd::isolation::IsolationConfig): whoever writes the
// file named by EXECD_ISOLATION_CONFIG writes its input. Only Poco::SyntaxException
// may come out; no recursion, whatever the nesting.

#include "FuzzSupport.h"
#include "IsolationConfig.h"
#include "Poco/Exception.h"


extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
	const std::string text(reinterpret_cast<const char*>(data), size);
	execd::fuzz::onRequestStack([&]
	{
		try
		{
			execd::isolation::IsolationConfig config = execd::isolation::IsolationConfig::parse(text);
			if (config.upperMaxBytes) execd::fuzz::require(*config.upperMaxBytes >= 0, "a negative upper_max_bytes was accepted");
		}
		catch (Poco::SyntaxException& exc)
		{
			execd::fuzz::require(exc.message().rfind("line ", 0) == 0, "a syntax error without its line: " + exc.message());
		}
	});
	return 0;
}
