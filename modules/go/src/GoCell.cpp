// Splitting a go cell into imports, declarations and statements (GoModule.cpp composes them).

#include "GoCell.h"
#include <regex>
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


std::string declName(const std::string& decl)
{
	static const std::regex name("^(?:func\\s+(?:\\([^)]*\\)\\s*)?|type\\s+|const\\s+|var\\s+)([A-Za-z_][A-Za-z0-9_]*)");
	std::smatch m;
	if (std::regex_search(decl, m, name))
	{
		std::string n = m[1].str();
		// Methods are told apart by their receiver.
		if (decl.rfind("func", 0) == 0 && decl.find('(') < decl.find(n)) return "method:" + decl.substr(0, decl.find(n) + n.size());
		return n;
	}
	return "";
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
			std::string text;
			collect(text);
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
			else
			{
				std::string s = body.substr(body.find_first_not_of(" \t"));
				cell.imports.push_back(s.substr(0, s.find_last_not_of(" \t;") + 1));
			}
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


} } // namespace execd::go
