#pragma once

#include "GoExecutor.h"
#include "GoSettings.h"
#include "execd/Module.h"
#include <memory>
#include <string>
#include <vector>


namespace execd {
namespace go {


class GoModule: public Module
	/// Go code contexts compiled with the Go toolchain, one build cache per context.
	///
	///     module.go.go = $GOROOT/bin/go, else go on the PATH, else /usr/local/go/bin/go or /usr/bin/go
	///     module.go.workDirectory = $TMPDIR, else /tmp    # where each context's directory is made
	///     module.go.language = go                         # the language clients name in /code
{
public:
	// execd::Module
	std::string name() const override;
	void configure(ModuleContext& context) override;
	std::vector<ExecutorBinding> executors() override;
	void shutdown() override;

private:
	GoSettings _settings;
	std::string _language = "go";
	std::unique_ptr<GoExecutor> _pExecutor;
};


} } // namespace execd::go
