// The go module's cell splitter: the input is a cell's code.

#include "FuzzSupport.h"
#include "GoCell.h"
#include <regex>


using execd::fuzz::require;


namespace {


std::string regexDeclName(const std::string& decl)
	// declName() as it was written with std::regex: the reference for short
	// declarations (on long ones the regex itself overflows the stack).
{
	static const std::regex name("^(?:func\\s+(?:\\([^)]*\\)\\s*)?|type\\s+|const\\s+|var\\s+)([A-Za-z_][A-Za-z0-9_]*)");
	std::smatch m;
	if (std::regex_search(decl, m, name))
	{
		std::string n = m[1].str();
		if (decl.rfind("func", 0) == 0 && decl.find('(') < decl.find(n)) return "method:" + decl.substr(0, decl.find(n) + n.size());
		return n;
	}
	return "";
}


void checkDeclName(const std::string& decl)
{
	std::string n = execd::go::declName(decl);
	if (decl.size() <= 256)
		require(n == regexDeclName(decl), "declName() differs from the regex: \"" + n + "\" for " + decl);
}


} // namespace


extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
	const std::string code(reinterpret_cast<const char*>(data), size);
	// Any text as one declaration, too: split() only passes those that begin with a keyword.
	execd::fuzz::onRequestStack([&] { checkDeclName(code); });
	execd::fuzz::onRequestStack([&] { execd::fuzz::expectBadInput([&] {
		execd::go::Cell cell = execd::go::split(code);
		const int lineCount = static_cast<int>(execd::go::lines(code).size());
		int last = 0;
		for (const auto& decl: cell.decls)
		{
			require(decl.second >= 1 && decl.second <= lineCount, "a declaration outside the cell");
			require(decl.second >= last, "declarations out of order");
			last = decl.second;
			checkDeclName(decl.first);
		}
		for (const auto& stmt: cell.stmts)
			require(stmt.second >= 1 && stmt.second <= lineCount, "a statement outside the cell");
		for (const std::string& spec: cell.imports)
			execd::go::importName(spec);
		if (cell.wholeProgram)
			require(cell.decls.empty() && cell.stmts.empty() && cell.imports.empty(), "a whole program split");
	}); });
	return 0;
}
