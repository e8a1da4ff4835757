#include "execd/OutputSplitter.h"


namespace execd {


OutputSplitter::OutputSplitter(std::size_t maxPiece):
	_maxPiece(maxPiece < 4 ? 4 : maxPiece)
{
}


void OutputSplitter::emitLine(std::vector<std::string>& out)
{
	if (_partial.empty())
	{
		out.emplace_back("\n");
	}
	else
	{
		out.push_back(std::move(_partial));
		_partial.clear();
	}
}


void OutputSplitter::feed(const char* data, std::size_t length, std::vector<std::string>& out)
{
	std::size_t i = 0;
	while (i < length)
	{
		if (_afterCR)
		{
			_afterCR = false;
			if (data[i] == '\n')
			{
				++i;
				continue;
			}
		}
		// Take the run up to the next terminator in one go.
		std::size_t j = i;
		while (j < length && data[j] != '\n' && data[j] != '\r') ++j;
		_partial.append(data + i, j - i);
		while (_partial.size() > _maxPiece)
		{
			// Cut at the last character boundary at or before the limit: back up
			// over continuation bytes (10xxxxxx), at most three of them.
			std::size_t cut = _maxPiece;
			std::size_t back = 0;
			while (back < 3 && cut > 0 && (static_cast<unsigned char>(_partial[cut]) & 0xC0) == 0x80)
			{
				--cut;
				++back;
			}
			if (cut == 0 || (static_cast<unsigned char>(_partial[cut]) & 0xC0) == 0x80) cut = _maxPiece;
			out.push_back(_partial.substr(0, cut));
			_partial.erase(0, cut);
		}
		if (j < length)
		{
			emitLine(out);
			_afterCR = data[j] == '\r';
			i = j + 1;
		}
		else
		{
			i = j;
		}
	}
}


void OutputSplitter::finish(std::vector<std::string>& out)
{
	if (!_partial.empty())
	{
		out.push_back(std::move(_partial));
		_partial.clear();
	}
	_afterCR = false;
}


std::size_t OutputSplitter::pending() const
{
	return _partial.size();
}


} // namespace execd
