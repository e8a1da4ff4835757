#include "GoCell.h"
#include <cppunit/extensions/HelperMacros.h>
#include <string>
#include <utility>
#include <vector>


using execd::go::Cell;
using execd::go::split;


namespace {


using Parts = std::vector<std::pair<std::string, int>>;
using Strings = std::vector<std::string>;


} // namespace


class GoCellTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(GoCellTest);
	CPPUNIT_TEST(testEmptyCellHasNoParts);
	CPPUNIT_TEST(testStatementsKeepTheirCellLines);
	CPPUNIT_TEST(testSingleImportsWithAndWithoutAlias);
	CPPUNIT_TEST(testImportGroupSkipsCommentsAndSemicolons);
	CPPUNIT_TEST(testImportWithoutSpecIsAStatement);
	CPPUNIT_TEST(testDeclarationSpansItsBraces);
	CPPUNIT_TEST(testDeclarationKinds);
	CPPUNIT_TEST(testMultiLineStatementIsOnePart);
	CPPUNIT_TEST(testPackageAndMainMakeAWholeProgram);
	CPPUNIT_TEST(testMainWithoutPackageIsADeclaration);
	CPPUNIT_TEST(testBracesInCommentsDoNotCount);
	CPPUNIT_TEST(testBracesInStringsRunesAndRawStringsDoNotCount);
	CPPUNIT_TEST(testUnclosedDeclarationTakesTheRestOfTheCell);
	CPPUNIT_TEST(testStrayClosingBraceIsAStatement);
	CPPUNIT_TEST(testLinesDropsNoEmptyLastLine);
	CPPUNIT_TEST(testDepthOfCountsOutsideQuotes);
	CPPUNIT_TEST(testDeclNames);
	CPPUNIT_TEST(testImportNames);
	CPPUNIT_TEST(testShortDeclNames);
	CPPUNIT_TEST(testMentions);
	CPPUNIT_TEST_SUITE_END();

public:
	void testEmptyCellHasNoParts()
	{
		for (const char* code: {"", "\n\n", "   \t\n \r\n"})
		{
			Cell cell = split(code);
			CPPUNIT_ASSERT(!cell.wholeProgram);
			CPPUNIT_ASSERT(cell.imports.empty());
			CPPUNIT_ASSERT(cell.decls.empty());
			CPPUNIT_ASSERT(cell.stmts.empty());
		}
	}

	void testStatementsKeepTheirCellLines()
	{
		Cell cell = split("x := 1\n\nfmt.Println(x)\n");
		CPPUNIT_ASSERT(Parts({{"x := 1", 1}, {"fmt.Println(x)", 3}}) == cell.stmts);
		CPPUNIT_ASSERT(cell.decls.empty());
	}

	void testSingleImportsWithAndWithoutAlias()
	{
		Cell cell = split("import \"fmt\"\nimport f \"strings\";\nimport\t\"os\"  \n");
		CPPUNIT_ASSERT(Strings({"\"fmt\"", "f \"strings\"", "\"os\""}) == cell.imports);
		CPPUNIT_ASSERT(cell.stmts.empty());
	}

	void testImportGroupSkipsCommentsAndSemicolons()
	{
		Cell cell = split("import (\n\t\"fmt\"\n\t// the strings package\n\ts \"strings\";\n\n)\nfmt.Println(s.ToUpper(\"a\"))\n");
		CPPUNIT_ASSERT(Strings({"\"fmt\"", "s \"strings\""}) == cell.imports);
		CPPUNIT_ASSERT(Parts({{"fmt.Println(s.ToUpper(\"a\"))", 7}}) == cell.stmts);
	}

	void testImportWithoutSpecIsAStatement()
	{
		// Left for the compiler to report at its cell line.
		Cell cell = split("x := 1\nimport\n");
		CPPUNIT_ASSERT(cell.imports.empty());
		CPPUNIT_ASSERT(Parts({{"x := 1", 1}, {"import", 2}}) == cell.stmts);
		// "imports" is a name, not the keyword.
		CPPUNIT_ASSERT(Parts({{"imports := 2", 1}}) == split("imports := 2").stmts);
	}

	void testDeclarationSpansItsBraces()
	{
		Cell cell = split("x := add(1, 2)\nfunc add(a, b int) int {\n\tif a > b {\n\t\treturn a\n\t}\n\treturn a + b\n}\nfmt.Println(x)");
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), cell.decls.size());
		CPPUNIT_ASSERT_EQUAL(std::string("func add(a, b int) int {\n\tif a > b {\n\t\treturn a\n\t}\n\treturn a + b\n}"), cell.decls[0].first);
		CPPUNIT_ASSERT_EQUAL(2, cell.decls[0].second);
		CPPUNIT_ASSERT(Parts({{"x := add(1, 2)", 1}, {"fmt.Println(x)", 8}}) == cell.stmts);
	}

	void testDeclarationKinds()
	{
		Cell cell = split("type point struct {\n\tx, y int\n}\nconst limit = 3\nconst(\n\ta = 1\n)\nvar n int\nvar(\n\tm = 2\n)\n"
			"func (p point) sum() int { return p.x + p.y }\n");
		Parts expected{{"type point struct {\n\tx, y int\n}", 1}, {"const limit = 3", 4}, {"const(\n\ta = 1\n)", 5},
			{"var n int", 8}, {"var(\n\tm = 2\n)", 9}, {"func (p point) sum() int { return p.x + p.y }", 12}};
		CPPUNIT_ASSERT(expected == cell.decls);
		CPPUNIT_ASSERT(cell.stmts.empty());
		// Only at the start of a line: an indented or a longer word is a statement.
		Cell other = split("  var x = 1\nvariable := 2\nfunction()\n");
		CPPUNIT_ASSERT(other.decls.empty());
		CPPUNIT_ASSERT_EQUAL(std::size_t(3), other.stmts.size());
	}

	void testMultiLineStatementIsOnePart()
	{
		Cell cell = split("for i := 0; i < 3; i++ {\n\tfmt.Println(i)\n}\nfmt.Println(\n\t\"done\",\n)\n");
		CPPUNIT_ASSERT(Parts({{"for i := 0; i < 3; i++ {\n\tfmt.Println(i)\n}", 1}, {"fmt.Println(\n\t\"done\",\n)", 4}}) == cell.stmts);
	}

	void testPackageAndMainMakeAWholeProgram()
	{
		Cell cell = split("package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(1)\n}\n");
		CPPUNIT_ASSERT(cell.wholeProgram);
		CPPUNIT_ASSERT(cell.imports.empty());
		CPPUNIT_ASSERT(cell.decls.empty());
		CPPUNIT_ASSERT(cell.stmts.empty());
		// A package clause alone is not a program: it is split like any cell.
		Cell package = split("package main\nx := 1\n");
		CPPUNIT_ASSERT(!package.wholeProgram);
		CPPUNIT_ASSERT(Parts({{"package main", 1}, {"x := 1", 2}}) == package.stmts);
	}

	void testMainWithoutPackageIsADeclaration()
	{
		Cell cell = split("func main() {\n\tfmt.Println(1)\n}\n");
		CPPUNIT_ASSERT(!cell.wholeProgram);
		CPPUNIT_ASSERT(Parts({{"func main() {\n\tfmt.Println(1)\n}", 1}}) == cell.decls);
		CPPUNIT_ASSERT_EQUAL(std::string("main"), execd::go::declName(cell.decls[0].first));
	}

	void testBracesInCommentsDoNotCount()
	{
		Cell cell = split("// a comment {\nx := 1 // (\nfunc f() { // }\n\treturn\n}\n");
		CPPUNIT_ASSERT(Parts({{"// a comment {", 1}, {"x := 1 // (", 2}}) == cell.stmts);
		CPPUNIT_ASSERT(Parts({{"func f() { // }\n\treturn\n}", 3}}) == cell.decls);
	}

	void testBracesInStringsRunesAndRawStringsDoNotCount()
	{
		Cell cell = split("a := \"{(\"\nb := '{'\nc := `}{ \\`\nd := \"\\\"{\"\ne := '\\''\nf := 1\n");
		CPPUNIT_ASSERT_EQUAL(std::size_t(6), cell.stmts.size());
		for (int i = 0; i < 6; ++i) CPPUNIT_ASSERT_EQUAL(i + 1, cell.stmts[static_cast<std::size_t>(i)].second);
		Cell decl = split("func f() string {\n\treturn \"}\" + `)`\n}\nx := f()\n");
		CPPUNIT_ASSERT(Parts({{"func f() string {\n\treturn \"}\" + `)`\n}", 1}}) == decl.decls);
		CPPUNIT_ASSERT(Parts({{"x := f()", 4}}) == decl.stmts);
	}

	void testUnclosedDeclarationTakesTheRestOfTheCell()
	{
		// The compiler reports it; the splitter neither throws nor loses lines.
		Cell cell = split("func f() {\n\tx := 1\ny := 2\n");
		CPPUNIT_ASSERT(Parts({{"func f() {\n\tx := 1\ny := 2", 1}}) == cell.decls);
		CPPUNIT_ASSERT(cell.stmts.empty());
		Cell group = split("import (\n\t\"fmt\"\n");
		CPPUNIT_ASSERT(Strings({"\"fmt\""}) == group.imports);
	}

	void testStrayClosingBraceIsAStatement()
	{
		Cell cell = split("}\n)\nx := 1\n");
		CPPUNIT_ASSERT(Parts({{"}", 1}, {")", 2}, {"x := 1", 3}}) == cell.stmts);
	}

	void testLinesDropsNoEmptyLastLine()
	{
		CPPUNIT_ASSERT(Strings({"a", "", "b"}) == execd::go::lines("a\n\nb\n"));
		CPPUNIT_ASSERT(Strings({"a", "b"}) == execd::go::lines("a\nb"));
		CPPUNIT_ASSERT(execd::go::lines("").empty());
	}

	void testDepthOfCountsOutsideQuotes()
	{
		int braces = 0, parens = 0;
		execd::go::depthOf("f(func() { \"}\" '(' `)` // }", braces, parens);
		CPPUNIT_ASSERT_EQUAL(1, braces);
		CPPUNIT_ASSERT_EQUAL(1, parens);
		execd::go::depthOf("})", braces, parens);
		CPPUNIT_ASSERT_EQUAL(0, braces);
		CPPUNIT_ASSERT_EQUAL(0, parens);
	}

	void testDeclNames()
	{
		using execd::go::declName;
		CPPUNIT_ASSERT_EQUAL(std::string("add"), declName("func add(a int) int {"));
		CPPUNIT_ASSERT_EQUAL(std::string("method:func (p point) sum"), declName("func (p point) sum() int {"));
		CPPUNIT_ASSERT_EQUAL(std::string("point"), declName("type point struct {"));
		CPPUNIT_ASSERT_EQUAL(std::string("limit"), declName("const limit = 3"));
		CPPUNIT_ASSERT_EQUAL(std::string("n"), declName("var n int"));
		CPPUNIT_ASSERT_EQUAL(std::string(""), declName("var (\n\tm = 2\n)"));
		CPPUNIT_ASSERT_EQUAL(std::string(""), declName("const(\n\ta = 1\n)"));
		CPPUNIT_ASSERT_EQUAL(std::string(""), declName("x := 1"));
		CPPUNIT_ASSERT_EQUAL(std::string(""), declName("func"));
	}

	void testImportNames()
	{
		using execd::go::importName;
		CPPUNIT_ASSERT_EQUAL(std::string("fmt"), importName("\"fmt\""));
		CPPUNIT_ASSERT_EQUAL(std::string("rand"), importName("\"math/rand\""));
		CPPUNIT_ASSERT_EQUAL(std::string("f"), importName("f \"fmt\""));
		CPPUNIT_ASSERT_EQUAL(std::string(""), importName("_ \"embed\""));
		CPPUNIT_ASSERT_EQUAL(std::string(""), importName(". \"math\""));
	}

	void testShortDeclNames()
	{
		using execd::go::shortDeclNames;
		CPPUNIT_ASSERT(Strings({"x"}) == shortDeclNames("x := 1"));
		CPPUNIT_ASSERT(Strings({"a", "b"}) == shortDeclNames("  a , _, b:= f()"));
		CPPUNIT_ASSERT(shortDeclNames("x = 1").empty());
		CPPUNIT_ASSERT(shortDeclNames("x == y").empty());
		CPPUNIT_ASSERT(shortDeclNames("a.b := 1").empty());
		CPPUNIT_ASSERT(shortDeclNames("for i := 0; i < 3; i++ {").empty());
		CPPUNIT_ASSERT(shortDeclNames("").empty());
	}

	void testMentions()
	{
		using execd::go::mentions;
		CPPUNIT_ASSERT(mentions("fmt.Println(1)", "fmt"));
		CPPUNIT_ASSERT(mentions("x := fmt .Sprint(1)", "fmt"));
		CPPUNIT_ASSERT(mentions("f(\n\tfmt.\n\tSprint(1))", "fmt"));
		CPPUNIT_ASSERT(!mentions("myfmt.Println(1)", "fmt"));
		CPPUNIT_ASSERT(!mentions("fmtx.Println(1)", "fmt"));
		CPPUNIT_ASSERT(!mentions("fmt := 1", "fmt"));
		CPPUNIT_ASSERT(!mentions("fmt.Println(1)", ""));
		CPPUNIT_ASSERT(mentions("a(.b", "a("));   // the name is literal, not a pattern
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(GoCellTest);
