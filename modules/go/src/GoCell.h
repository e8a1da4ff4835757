#pragma once

#include <string>
#include <utility>
#include <vector>


namespace execd {
namespace go {


struct Cell
	/// A cell split into its parts; each part keeps the cell line it started on.
{
	bool wholeProgram = false;
	std::vector<std::string> imports;                    ///< import specs: `"fmt"`, `f "fmt"`
	std::vector<std::pair<std::string, int>> decls;      ///< declaration text, first cell line (1-based)
	std::vector<std::pair<std::string, int>> stmts;      ///< statement lines, cell line
};


Cell split(const std::string& code);
	/// Splits a cell into imports, top-level declarations (func, type, const, var,
	/// with the lines their brackets span) and statements. A cell with both a
	/// package clause and func main() is a whole program and is not split.

std::vector<std::string> lines(const std::string& text);
	/// text cut at "\n" (std::getline: no empty last line).

void depthOf(const std::string& line, int& braces, int& parens);
	/// Updates the bracket depth across a line, outside strings, runes and // comments.

std::string declName(const std::string& decl);
	/// The name a single declaration declares ("func f(", "type T ", "var x ="), "" for blocks;
	/// methods are "method:func (r T) name".

std::string importName(const std::string& spec);
	/// The name an import spec brings in scope ("" for _ and . imports).

std::vector<std::string> shortDeclNames(const std::string& stmt);
	/// The names a statement "a, b := ..." declares, "_" left out; none for any other statement.

bool mentions(const std::string& text, const std::string& name);
	/// True when text uses name as a package: name at a word boundary, then
	/// optional whitespace and "." ("fmt.Println", "fmt .Sprint"). name is literal.


} } // namespace execd::go
