// Splitting a go cell into imports, declarations and statements (GoModule.cpp composes them).

#include "GoCell.h"
#include <sstream>


namespace execd {
namespace go {


std::vector<std::string> lines(const std::string& text)
{
	std::vector<std::string> out;
	std::istringstream in(text);
	std::string line;
	while (std::getline(in, line)) out.push_back(line);
	return out;
}


void depthOf(const std::string& line, int& braces, int& parens)
{
	char quote = 0;
	for (std::size_t i = 0; i < line.size(); ++i)
	{
		char c = line[i];
		if (quote)
		{
			if (c == '\\' && quote != '`') ++i;
			else if (c == quote) quote = 0;
			continue;
		}
		if (c == '/' && i + 1 < line.size() && line[i + 1] == '/') return;
		if (c == '"' || c == '\'' || c == '`') quote = c;
		else if (c == '{') ++braces;
		else if (c == '}') --braces;
		else if (c == '(') ++parens;
		else if (c == ')') --parens;
	}
}


namespace {


bool space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}


bool nameStart(char c)
{
	return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}


bool wordChar(char c)
{
	return nameStart(c) || (c >= '0' && c <= '9');
}


std::size_t skipSpace(const std::string& s, std::size_t i)
{
	while (i < s.size() && space(s[i])) ++i;
	return i;
}


std::string nameAt(const std::string& s, std::size_t i)
	// The identifier starting at i, "" if none.
{
	if (i >= s.size() || !nameStart(s[i])) return "";
	std::size_t j = i + 1;
	while (j < s.size() && wordChar(s[j])) ++j;
	return s.substr(i, j - i);
}


std::size_t afterKeyword(const std::string& s, const char* keyword)
	// The index after keyword and the whitespace that must follow it, or npos.
{
	std::size_t n = std::char_traits<char>::length(keyword);
	if (s.compare(0, n, keyword) != 0 || n >= s.size() || !space(s[n])) return std::string::npos;
	return skipSpace(s, n);
}


std::string declaredName(const std::string& decl)
	// What ^(?:func\s+(?:\([^)]*\)\s*)?|type\s+|const\s+|var\s+)([A-Za-z_][A-Za-z0-9_]*)
	// captures, by hand: std::regex recurses once per character, and a long line
	// overflowed the 512 KiB stack of a request thread.
{
	std::size_t at = afterKeyword(decl, "func");
	if (at != std::string::npos)
	{
		if (at < decl.size() && decl[at] == '(')
		{
			std::size_t close = decl.find(')', at);
			if (close != std::string::npos)
			{
				std::string n = nameAt(decl, skipSpace(decl, close + 1));
				if (!n.empty()) return n;
			}
		}
		return nameAt(decl, at);
	}
	for (const char* keyword: {"type", "const", "var"})
	{
		at = afterKeyword(decl, keyword);
		if (at != std::string::npos) return nameAt(decl, at);
	}
	return "";
}


void addImport(const std::string& text, int start, Cell& cell)
	// An import declaration (text, from cell line start on): its specs, one or a
	// parenthesised group, go to cell.imports.
{
	std::string body = text.substr(6);
	std::size_t open = body.find('(');
	if (open != std::string::npos)
	{
		body = body.substr(open + 1, body.rfind(')') - open - 1);
		for (auto& spec: lines(body))
		{
			std::string s = spec.substr(spec.find_first_not_of(" \t") == std::string::npos ? spec.size() : spec.find_first_not_of(" \t"));
			s = s.substr(0, s.find_last_not_of(" \t;") + 1);
			if (!s.empty() && s.rfind("//", 0) != 0) cell.imports.push_back(s);
		}
	}
	else if (body.find_first_not_of(" \t\r") == std::string::npos)
	{
		// "import" without a spec: a statement, so that the compiler reports
		// it at its cell line (substr(npos) used to throw std::out_of_range).
		cell.stmts.emplace_back(text, start);
	}
	else
	{
		std::string s = body.substr(body.find_first_not_of(" \t"));
		cell.imports.push_back(s.substr(0, s.find_last_not_of(" \t;") + 1));
	}
}


} // namespace


std::string declName(const std::string& decl)
{
	std::string n = declaredName(decl);
	if (n.empty()) return "";
	// Methods are told apart by their receiver.
	if (decl.rfind("func", 0) == 0 && decl.find('(') < decl.find(n)) return "method:" + decl.substr(0, decl.find(n) + n.size());
	return n;
}


Cell split(const std::string& code)
{
	Cell cell;
	std::vector<std::string> all = lines(code);
	bool hasPackage = false, hasMain = false;
	for (const auto& l: all)
	{
		if (l.rfind("package ", 0) == 0) hasPackage = true;
		if (l.rfind("func main()", 0) == 0) hasMain = true;
	}
	cell.wholeProgram = hasPackage && hasMain;
	if (cell.wholeProgram) return cell;
	for (std::size_t i = 0; i < all.size(); ++i)
	{
		const std::string& l = all[i];
		std::string trimmed = l.substr(0, l.find_last_not_of(" \t\r") + 1);
		if (trimmed.empty()) continue;
		int braces = 0, parens = 0;
		auto collect = [&](std::string& text) {
			depthOf(l, braces, parens);
			text = l;
			while ((braces > 0 || parens > 0) && i + 1 < all.size())
			{
				++i;
				depthOf(all[i], braces, parens);
				text += "\n" + all[i];
			}
		};
		if (l.rfind("import", 0) == 0 && (l.size() == 6 || l[6] == ' ' || l[6] == '(' || l[6] == '\t'))
		{
			const int start = static_cast<int>(i) + 1;
			std::string text;
			collect(text);
			addImport(text, start, cell);
			continue;
		}
		int line = static_cast<int>(i) + 1;
		if (l.rfind("func ", 0) == 0 || l.rfind("type ", 0) == 0 || l.rfind("const ", 0) == 0 || l.rfind("const(", 0) == 0 ||
			l.rfind("var ", 0) == 0 || l.rfind("var(", 0) == 0)
		{
			std::string text;
			collect(text);
			cell.decls.emplace_back(text, line);
			continue;
		}
		std::string text;
		collect(text);
		cell.stmts.emplace_back(text, line);
	}
	return cell;
}


std::string importName(const std::string& spec)
{
	std::size_t quote = spec.find('"');
	std::string alias = quote == std::string::npos ? "" : spec.substr(0, quote);
	alias = alias.substr(0, alias.find_last_not_of(" \t") + 1);
	if (alias == "_" || alias == ".") return "";
	if (!alias.empty()) return alias;
	std::string path = spec.substr(quote + 1, spec.rfind('"') - quote - 1);
	std::size_t slash = path.rfind('/');
	return slash == std::string::npos ? path : path.substr(slash + 1);
}


std::vector<std::string> shortDeclNames(const std::string& stmt)
{
	// ^\s*(NAME(?:\s*,\s*NAME)*)\s*:= by hand, for the reason declaredName() gives.
	std::vector<std::string> names;
	std::size_t i = skipSpace(stmt, 0);
	for (;;)
	{
		std::string n = nameAt(stmt, i);
		if (n.empty()) return {};
		if (n != "_") names.push_back(n);
		i = skipSpace(stmt, i + n.size());
		if (i >= stmt.size() || stmt[i] != ',') break;
		i = skipSpace(stmt, i + 1);
	}
	if (stmt.compare(i, 2, ":=") != 0) return {};
	return names;
}


bool mentions(const std::string& text, const std::string& name)
{
	// What std::regex("\\b" + name + "\\s*\\.") matched, without building a regex
	// from the cell's text (an alias such as "a(" threw std::regex_error) and
	// without its recursion over long runs of whitespace.
	if (name.empty()) return false;
	for (std::size_t at = text.find(name); at != std::string::npos; at = text.find(name, at + 1))
	{
		bool before = at > 0 && wordChar(text[at - 1]);
		if (before == wordChar(name[0])) continue;   // no word boundary before name
		std::size_t next = skipSpace(text, at + name.size());
		if (next < text.size() && text[next] == '.') return true;
	}
	return false;
}


} } // namespace execd::go
