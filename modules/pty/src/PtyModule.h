#pragma once

#include "PtySessions.h"
#include "execd/Module.h"
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>


namespace execd {
namespace pty {


class PtyModule: public Module
	/// /pty: interactive shells over WebSocket, with a replay ring per session.
{
public:
	std::string name() const override;
	void configure(ModuleContext& context) override;
	std::vector<Route> routes() override;
	void start() override;
	void shutdown() override;

private:
	PtySessions _sessions;
	std::chrono::milliseconds _ttl{0};
	std::mutex _mutex;
	std::condition_variable _wake;
	bool _stop = false;
	std::thread _janitor;
};


} } // namespace execd::pty
