// The go module's cell splitter and the scanners compose() uses: the input is a
// cell's code. Where they replaced std::regex, the old regexes are the reference
// on short inputs.

#include "FuzzSupport.h"
#include "GoCell.h"
#include <cctype>
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


std::vector<std::string> regexShortDeclNames(const std::string& stmt)
	// The names compose() took from the old shortDecl regex (whitespace trimmed).
{
	static const std::regex shortDecl("^\\s*([A-Za-z_][A-Za-z0-9_]*(?:\\s*,\\s*[A-Za-z_][A-Za-z0-9_]*)*)\\s*:=");
	std::vector<std::string> names;
	std::smatch m;
	if (!std::regex_search(stmt, m, shortDecl)) return names;
	std::string all = m[1].str();
	std::size_t start = 0;
	for (;;)
	{
		std::size_t comma = all.find(',', start);
		std::string n = all.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
		n.erase(0, n.find_first_not_of(" \t\n\v\f\r"));
		n.erase(n.find_last_not_of(" \t\n\v\f\r") + 1);
		if (n != "_") names.push_back(n);
		if (comma == std::string::npos) break;
		start = comma + 1;
	}
	return names;
}


bool identifier(const std::string& name)
{
	if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
	for (char c: name)
		if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
	return true;
}


void checkStatement(const std::string& stmt)
{
	std::vector<std::string> names = execd::go::shortDeclNames(stmt);
	if (stmt.size() <= 256) require(names == regexShortDeclNames(stmt), "shortDeclNames() differs from the regex for " + stmt);
}


void checkMentions(const std::string& text, const std::string& name)
{
	bool hit = execd::go::mentions(text, name);
	if (text.size() <= 256 && identifier(name))
		require(hit == std::regex_search(text, std::regex("\\b" + name + "\\s*\\.")), "mentions() differs from the regex for " + name + " in " + text);
}


} // namespace


extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
	const std::string code(reinterpret_cast<const char*>(data), size);
	// Any text as one declaration, too: split() only passes those that begin with a keyword.
	execd::fuzz::onRequestStack([&] {
		checkDeclName(code);
		checkStatement(code);
		for (const char* name: {"fmt", "os", "x", "_"}) checkMentions(code, name);
	});
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
		{
			require(stmt.second >= 1 && stmt.second <= lineCount, "a statement outside the cell");
			checkStatement(stmt.first);
		}
		for (const std::string& spec: cell.imports)
			checkMentions(code, execd::go::importName(spec));
		if (cell.wholeProgram)
			require(cell.decls.empty() && cell.stmts.empty() && cell.imports.empty(), "a whole program split");
	}); });
	return 0;
}
