#pragma once

#include <cstdint>
#include "execd/OutputFilter.h"
#include <functional>
#include <string>


namespace execd {
namespace shell {


class MarkerFilter: public OutputFilter
	/// One output stream of a bash session's run: passes bytes through to line
	/// events until the run's marker "__EXECD_<token>__ <status>[ <extra>]\n"
	/// shows up, holding back only a tail that could be the start of the marker.
	/// Then it is done(): what follows belongs to no run.
{
public:
	MarkerFilter(const std::string& token, EventType type);

	void feed(const char* data, std::size_t length, std::vector<StreamEvent>& events) override;
	void finish(std::vector<StreamEvent>& events) override;
	bool done() const override;

	std::uint64_t passed() const;
		/// The bytes of output passed on: the run's own, without the marker.

	bool marked() const;
		/// True once the marker was seen (not merely the stream's end).

	int status() const;
		/// The run's exit status, from the marker.

	const std::string& extra() const;
		/// What the marker line has after the status.

	void setTee(std::function<void(const char*, std::size_t)> tee);
		/// tee gets the bytes passed on as they go (the run's own, no marker).

private:
	void pass(std::size_t n, std::vector<StreamEvent>& events);
	std::size_t markerPrefixAtEnd() const;

	std::string _marker;
	std::string _pending;
	LineFilter _lines;
	bool _done = false;
	bool _marked = false;
	std::uint64_t _passed = 0;
	int _status = 0;
	std::string _extra;
	std::function<void(const char*, std::size_t)> _tee;
};


} } // namespace execd::shell
