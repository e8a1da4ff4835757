#include "execd/EnvFile.h"
#include <cppunit/extensions/HelperMacros.h>
#include <chrono>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>


using execd::EnvFile;


namespace {


const EnvFile::Variables ENV{{"HOME", "/home/u"}, {"NAME", "world"}, {"REF", "$NAME"}, {"EMPTY", ""}};


EnvFile parse(const std::string& text, const EnvFile::Variables& env = ENV)
{
	return EnvFile::parse(text, env);
}


std::string value(const EnvFile& file, const std::string& key)
{
	auto it = file.entries().find(key);
	return it == file.entries().end() ? "<unset>" : it->second;
}


std::string warnings(const EnvFile& file)
	/// "line: message" per warning, joined by " | ".
{
	std::string out;
	for (const auto& w: file.warnings())
		out += (out.empty() ? "" : " | ") + std::to_string(w.line) + ": " + w.message;
	return out;
}


std::string scratchFile(const std::string& text)
{
	char path[] = "/tmp/execd-envfile-XXXXXX";
	int fd = ::mkstemp(path);
	CPPUNIT_ASSERT(fd >= 0);
	::close(fd);
	std::ofstream(path, std::ios::binary) << text;
	return path;
}


double secondsToParse(const std::string& text)
{
	auto start = std::chrono::steady_clock::now();
	parse(text);
	return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}


} // namespace


class EnvFileTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(EnvFileTest);
	CPPUNIT_TEST(testUnquotedValueIsTrimmedAndExpanded);
	CPPUNIT_TEST(testUndefinedNamesExpandToNothing);
	CPPUNIT_TEST(testExpansionFollowsGo);
	CPPUNIT_TEST(testExpansionIsNotRecursive);
	CPPUNIT_TEST(testEntriesDoNotSeeEachOther);
	CPPUNIT_TEST(testDoubleQuotesKeepBlanksDecodeEscapesAndExpand);
	CPPUNIT_TEST(testDoubleQuotedValueSpansLines);
	CPPUNIT_TEST(testSingleQuotesAreLiteralAndSpanLines);
	CPPUNIT_TEST(testEmptyValues);
	CPPUNIT_TEST(testExportPrefix);
	CPPUNIT_TEST(testCommentsAndBlankLines);
	CPPUNIT_TEST(testCrlfLineEnds);
	CPPUNIT_TEST(testLaterEntryWins);
	CPPUNIT_TEST(testMalformedLinesAreSkipped);
	CPPUNIT_TEST(testUnterminatedQuotesSkipOneLine);
	CPPUNIT_TEST(testTextAfterClosingQuoteSkipsTheEntry);
	CPPUNIT_TEST(testWarningsNeverQuoteValues);
	CPPUNIT_TEST(testNulBytes);
	CPPUNIT_TEST(testEntryLengthLimit);
	CPPUNIT_TEST(testExpansionCannotBlowUp);
	CPPUNIT_TEST(testTotalLimit);
	CPPUNIT_TEST(testPathologicalFilesStayLinear);
	CPPUNIT_TEST(testReadAFile);
	CPPUNIT_TEST(testFileSizeLimit);
	CPPUNIT_TEST(testMissingDirectoryAndFifo);
	CPPUNIT_TEST_SUITE_END();

public:
	void testUnquotedValueIsTrimmedAndExpanded()
	{
		EnvFile f = parse("A =  hello  world  \nB=$HOME/x\nC=${HOME}y\n\tD\t=\tv\t\nE=a=b=c");
		CPPUNIT_ASSERT_EQUAL(std::string("hello  world"), value(f, "A"));
		CPPUNIT_ASSERT_EQUAL(std::string("/home/u/x"), value(f, "B"));
		CPPUNIT_ASSERT_EQUAL(std::string("/home/uy"), value(f, "C"));
		CPPUNIT_ASSERT_EQUAL(std::string("v"), value(f, "D"));
		CPPUNIT_ASSERT_EQUAL(std::string("a=b=c"), value(f, "E"));
		CPPUNIT_ASSERT_EQUAL(std::string(""), warnings(f));
	}

	void testUndefinedNamesExpandToNothing()
	{
		EnvFile f = parse("A=x${NOPE}y$NOPE2\nB=[$EMPTY]\nC=\"$NOPE\"");
		CPPUNIT_ASSERT_EQUAL(std::string("xy"), value(f, "A"));
		CPPUNIT_ASSERT_EQUAL(std::string("[]"), value(f, "B"));
		CPPUNIT_ASSERT_EQUAL(std::string(""), value(f, "C"));
		CPPUNIT_ASSERT_EQUAL(std::string(""), warnings(f));
	}

	void testExpansionFollowsGo()
	{
		// os.ExpandEnv: a trailing or nameless '$' stays; "${" without '}' and
		// "${}" are eaten; $1, $@, ${#} ... are names of one character (unset here).
		EnvFile f = parse("A=a$\nB=$ b\nC=x${unclosed\nD=${}x\nE=$1x\nF=${@}y\nG=p$$q\nH=$NAME.$NAME-${NAME}_\nI=$/");
		CPPUNIT_ASSERT_EQUAL(std::string("a$"), value(f, "A"));
		CPPUNIT_ASSERT_EQUAL(std::string("$ b"), value(f, "B"));
		CPPUNIT_ASSERT_EQUAL(std::string("xunclosed"), value(f, "C"));
		CPPUNIT_ASSERT_EQUAL(std::string("x"), value(f, "D"));
		CPPUNIT_ASSERT_EQUAL(std::string("x"), value(f, "E"));
		CPPUNIT_ASSERT_EQUAL(std::string("y"), value(f, "F"));
		CPPUNIT_ASSERT_EQUAL(std::string("pq"), value(f, "G"));
		CPPUNIT_ASSERT_EQUAL(std::string("world.world-world_"), value(f, "H"));
		CPPUNIT_ASSERT_EQUAL(std::string("$/"), value(f, "I"));
	}

	void testExpansionIsNotRecursive()
	{
		// REF's value is "$NAME": it is inserted as it is.
		EnvFile f = parse("A=$REF\nB=\"${REF}\"");
		CPPUNIT_ASSERT_EQUAL(std::string("$NAME"), value(f, "A"));
		CPPUNIT_ASSERT_EQUAL(std::string("$NAME"), value(f, "B"));
	}

	void testEntriesDoNotSeeEachOther()
	{
		// Expansion is over execd's environment only (as upstream's os.ExpandEnv).
		EnvFile f = parse("P=1\nQ=$P\nNAME=changed\nR=$NAME");
		CPPUNIT_ASSERT_EQUAL(std::string(""), value(f, "Q"));
		CPPUNIT_ASSERT_EQUAL(std::string("world"), value(f, "R"));
		CPPUNIT_ASSERT_EQUAL(std::string("changed"), value(f, "NAME"));
	}

	void testDoubleQuotesKeepBlanksDecodeEscapesAndExpand()
	{
		EnvFile f = parse("A=\"  two  words  \"\n"
			"B=\"l1\\nl2\\tx\\r\\\\\\\"q\\\"\"\n"
			"C=\"$HOME and ${NAME}\"\n"
			"D=\"keep \\a \\$ \\'\"\n"
			"E=  \"x\"  \n"
			"F=\"\\\\$NAME\"\n"
			"G=\"\\$NAME\"");
		CPPUNIT_ASSERT_EQUAL(std::string("  two  words  "), value(f, "A"));
		CPPUNIT_ASSERT_EQUAL(std::string("l1\nl2\tx\r\\\"q\""), value(f, "B"));
		CPPUNIT_ASSERT_EQUAL(std::string("/home/u and world"), value(f, "C"));
		// Unknown escapes keep their backslash; "\$" is not one: $ still expands.
		CPPUNIT_ASSERT_EQUAL(std::string("keep \\a \\$ \\'"), value(f, "D"));
		CPPUNIT_ASSERT_EQUAL(std::string("x"), value(f, "E"));
		CPPUNIT_ASSERT_EQUAL(std::string("\\world"), value(f, "F"));
		CPPUNIT_ASSERT_EQUAL(std::string("\\world"), value(f, "G"));
		CPPUNIT_ASSERT_EQUAL(std::string(""), warnings(f));
	}

	void testDoubleQuotedValueSpansLines()
	{
		EnvFile f = parse("A=\"first\n  second\n\n# not a comment\"\nB=after\nbroken\n");
		CPPUNIT_ASSERT_EQUAL(std::string("first\n  second\n\n# not a comment"), value(f, "A"));
		CPPUNIT_ASSERT_EQUAL(std::string("after"), value(f, "B"));
		CPPUNIT_ASSERT_EQUAL(std::string("6: no '='; skipped"), warnings(f));   // line numbers count the value's lines
	}

	void testSingleQuotesAreLiteralAndSpanLines()
	{
		EnvFile f = parse("A='$HOME \\n \"x\" # not a comment'\nB='line 1\nline 2 ${NAME}'\nC=' padded '\nD=ok");
		CPPUNIT_ASSERT_EQUAL(std::string("$HOME \\n \"x\" # not a comment"), value(f, "A"));
		CPPUNIT_ASSERT_EQUAL(std::string("line 1\nline 2 ${NAME}"), value(f, "B"));
		CPPUNIT_ASSERT_EQUAL(std::string(" padded "), value(f, "C"));
		CPPUNIT_ASSERT_EQUAL(std::string("ok"), value(f, "D"));
		CPPUNIT_ASSERT_EQUAL(std::string(""), warnings(f));
	}

	void testEmptyValues()
	{
		EnvFile f = parse("A=\nB=\"\"\nC=''\nD=   ");
		for (const char* key: {"A", "B", "C", "D"})
			CPPUNIT_ASSERT_EQUAL(std::string(""), value(f, key));
		CPPUNIT_ASSERT_EQUAL(std::size_t(4), f.entries().size());
	}

	void testExportPrefix()
	{
		EnvFile f = parse("export A=1\n  export\tB=\"2\"\nexportC=3\nexport=4\nexport D\n");
		CPPUNIT_ASSERT_EQUAL(std::string("1"), value(f, "A"));
		CPPUNIT_ASSERT_EQUAL(std::string("2"), value(f, "B"));
		CPPUNIT_ASSERT_EQUAL(std::string("3"), value(f, "exportC"));
		CPPUNIT_ASSERT_EQUAL(std::string("4"), value(f, "export"));
		CPPUNIT_ASSERT_EQUAL(std::size_t(4), f.entries().size());
		CPPUNIT_ASSERT_EQUAL(std::string("5: no '='; skipped"), warnings(f));
	}

	void testCommentsAndBlankLines()
	{
		EnvFile f = parse("# A=commented\n   # indented\n\n \t \nA=1 # part of the value\nB=\"x\" # comment\nC='y'   \n#");
		CPPUNIT_ASSERT_EQUAL(std::string("<unset>"), value(f, "# A"));
		CPPUNIT_ASSERT_EQUAL(std::string("1 # part of the value"), value(f, "A"));
		CPPUNIT_ASSERT_EQUAL(std::string("x"), value(f, "B"));
		CPPUNIT_ASSERT_EQUAL(std::string("y"), value(f, "C"));
		CPPUNIT_ASSERT_EQUAL(std::size_t(3), f.entries().size());
		CPPUNIT_ASSERT_EQUAL(std::string(""), warnings(f));
	}

	void testCrlfLineEnds()
	{
		EnvFile f = parse("# c\r\nA=1\r\nB=\"x\r\ny\"\r\nC='z'\r\n\r\nD=\"a\rb\\r\"\r\nbad\r\n");
		CPPUNIT_ASSERT_EQUAL(std::string("1"), value(f, "A"));
		CPPUNIT_ASSERT_EQUAL(std::string("x\ny"), value(f, "B"));
		CPPUNIT_ASSERT_EQUAL(std::string("z"), value(f, "C"));
		CPPUNIT_ASSERT_EQUAL(std::string("a\rb\r"), value(f, "D"));   // a lone CR stays
		CPPUNIT_ASSERT_EQUAL(std::string("8: no '='; skipped"), warnings(f));
	}

	void testLaterEntryWins()
	{
		EnvFile f = parse("A=1\nA='2'\nB=x\nB=\"unterminated\n");
		CPPUNIT_ASSERT_EQUAL(std::string("2"), value(f, "A"));
		CPPUNIT_ASSERT_EQUAL(std::string("x"), value(f, "B"));   // a skipped entry replaces nothing
	}

	void testMalformedLinesAreSkipped()
	{
		EnvFile f = parse("novalue\n=x\n1A=x\nA B=x\nA-B=x\n\"Q\"=x\nGOOD=1\n  = \n");
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), f.entries().size());
		CPPUNIT_ASSERT_EQUAL(std::string("1"), value(f, "GOOD"));
		CPPUNIT_ASSERT_EQUAL(std::string("1: no '='; skipped"
			" | 2: the text before '=' is not a variable name; skipped"
			" | 3: the text before '=' is not a variable name; skipped"
			" | 4: the text before '=' is not a variable name; skipped"
			" | 5: the text before '=' is not a variable name; skipped"
			" | 6: the text before '=' is not a variable name; skipped"
			" | 8: the text before '=' is not a variable name; skipped"), warnings(f));
	}

	void testUnterminatedQuotesSkipOneLine()
	{
		// A value's quote closes at the next matching quote, on whichever line:
		// only one that never closes is unterminated.
		EnvFile f = parse("B0=1\nC='also open\nD=4\nA=\"never closed\nB=2\n");
		CPPUNIT_ASSERT_EQUAL(std::string("1"), value(f, "B0"));
		CPPUNIT_ASSERT_EQUAL(std::string("<unset>"), value(f, "C"));
		CPPUNIT_ASSERT_EQUAL(std::string("4"), value(f, "D"));
		CPPUNIT_ASSERT_EQUAL(std::string("<unset>"), value(f, "A"));
		CPPUNIT_ASSERT_EQUAL(std::string("2"), value(f, "B"));
		CPPUNIT_ASSERT_EQUAL(std::string("2: C: unterminated single-quoted value; skipped"
			" | 4: A: unterminated double-quoted value; skipped"), warnings(f));
		f = parse("E=\"ends in an escaped quote\\\"\nF=1");
		CPPUNIT_ASSERT_EQUAL(std::string("1"), value(f, "F"));
		CPPUNIT_ASSERT_EQUAL(std::string("1: E: unterminated double-quoted value; skipped"), warnings(f));
		CPPUNIT_ASSERT_EQUAL(std::string("1: A: unterminated single-quoted value; skipped"), warnings(parse("A='")));
		CPPUNIT_ASSERT_EQUAL(std::string("1: A: unterminated double-quoted value; skipped"), warnings(parse("A=\"\\")));
	}

	void testTextAfterClosingQuoteSkipsTheEntry()
	{
		EnvFile f = parse("A=\"x\" y\nB=2\nC='multi\nline' junk\nD=4\nE='e'#comment\n");
		CPPUNIT_ASSERT_EQUAL(std::string("<unset>"), value(f, "A"));
		CPPUNIT_ASSERT_EQUAL(std::string("2"), value(f, "B"));
		CPPUNIT_ASSERT_EQUAL(std::string("<unset>"), value(f, "C"));
		CPPUNIT_ASSERT_EQUAL(std::string("<unset>"), value(f, "line' junk"));
		CPPUNIT_ASSERT_EQUAL(std::string("4"), value(f, "D"));
		CPPUNIT_ASSERT_EQUAL(std::string("e"), value(f, "E"));
		CPPUNIT_ASSERT_EQUAL(std::string("1: A: text after the closing quote; skipped"
			" | 3: C: text after the closing quote; skipped"), warnings(f));
	}

	void testWarningsNeverQuoteValues()
	{
		const std::string secret = "s3cr3t-42";
		const std::string longValue(EnvFile::MAX_ENTRY_BYTES, 'x');
		for (const std::string& text: {secret, secret + "=x", "K " + secret + "=x", "A=\"" + secret, "B='" + secret,
			"C=\"" + secret + "\" " + secret, "D=" + secret + std::string(1, '\0'), "E='" + secret + longValue + "'",
			"export " + secret})
		{
			EnvFile f = parse(text);
			CPPUNIT_ASSERT(f.entries().empty());
			CPPUNIT_ASSERT_EQUAL(std::size_t(1), f.warnings().size());
			CPPUNIT_ASSERT_MESSAGE(warnings(f), warnings(f).find(secret) == std::string::npos);
			CPPUNIT_ASSERT_MESSAGE(warnings(f), warnings(f).find("xxx") == std::string::npos);
		}
	}

	void testNulBytes()
	{
		EnvFile f = parse(std::string("A=x\0y\nB=1\nC\0D=2\nE='\0'\n", 22));
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), f.entries().size());
		CPPUNIT_ASSERT_EQUAL(std::string("1"), value(f, "B"));
		CPPUNIT_ASSERT_EQUAL(std::string("1: A: the value holds a NUL byte; skipped"
			" | 3: the text before '=' is not a variable name; skipped"
			" | 4: E: the value holds a NUL byte; skipped"), warnings(f));
	}

	void testEntryLengthLimit()
	{
		// "KEY=value" up to 128 KiB - 1 bytes: with its NUL, the kernel's limit for one string.
		const std::size_t room = EnvFile::MAX_ENTRY_BYTES - 2;   // "A="
		EnvFile f = parse("A=" + std::string(room, 'a') + "\nB='" + std::string(room, 'b') + "'\nC=\"" + std::string(room + 1, 'c') + "\"\nD=" + std::string(room + 1, 'd'));
		CPPUNIT_ASSERT_EQUAL(room, value(f, "A").size());
		CPPUNIT_ASSERT_EQUAL(room, value(f, "B").size());
		CPPUNIT_ASSERT_EQUAL(std::string("<unset>"), value(f, "C"));
		CPPUNIT_ASSERT_EQUAL(std::string("<unset>"), value(f, "D"));
		CPPUNIT_ASSERT_EQUAL(std::string("3: C: longer than 128 KiB; skipped"
			" | 4: D: longer than 128 KiB; skipped"), warnings(f));
		CPPUNIT_ASSERT_EQUAL(std::string("1: E: longer than 128 KiB; skipped"), warnings(parse("E='" + std::string(room + 1, 'e') + "'")));
	}

	void testExpansionCannotBlowUp()
	{
		// 100 000 references to a 60 KiB variable would be 6 GB: expansion stops at the entry limit.
		EnvFile::Variables env{{"BIG", std::string(60 * 1024, 'b')}};
		std::string refs;
		for (int i = 0; i < 100000; ++i) refs += "$BIG";
		auto start = std::chrono::steady_clock::now();
		EnvFile f = EnvFile::parse("A=" + refs + "\nB=$BIG$BIG\nC=\"$BIG\"", env);
		CPPUNIT_ASSERT(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
		CPPUNIT_ASSERT_EQUAL(std::string("<unset>"), value(f, "A"));
		CPPUNIT_ASSERT_EQUAL(std::string("1: A: longer than 128 KiB; skipped"), warnings(f));
		CPPUNIT_ASSERT_EQUAL(std::size_t(120 * 1024), value(f, "B").size());
		CPPUNIT_ASSERT_EQUAL(std::size_t(60 * 1024), value(f, "C").size());
	}

	void testTotalLimit()
	{
		// Each entry expands to 100 KiB: ten fit in 1 MiB, the eleventh does not;
		// replacing an entry counts its new size only.
		EnvFile::Variables env{{"BIG", std::string(100 * 1024, 'b')}};
		std::string text;
		for (int i = 0; i < 12; ++i) text += "K" + std::to_string(i % 10 == 0 && i > 0 ? 0 : i) + "=$BIG\n";
		EnvFile f = EnvFile::parse(text, env);
		CPPUNIT_ASSERT_EQUAL(std::size_t(10), f.entries().size());   // K0 (twice) .. K9, then K11 is past it
		CPPUNIT_ASSERT_EQUAL(std::string("12: K11: the entries pass 1 MiB in all; skipped"), warnings(f));
	}

	void testPathologicalFilesStayLinear()
	{
		// Each would take minutes if a line cost a search to the end of the file.
		const std::size_t size = EnvFile::MAX_FILE_BYTES;
		std::string unterminated = "A=\"\nB='\n", pairs, noEquals, braces, backslashes;
		while (unterminated.size() < size) unterminated += "C=1\n";
		while (pairs.size() < size) pairs += "A=\"\n";
		while (noEquals.size() < size) noEquals += "x\n";
		braces = "A=" + std::string(size, '$');
		for (std::size_t i = 2; i + 1 < size; i += 2) braces[i + 1] = '{';
		backslashes = "A=\"" + std::string(size, '\\');
		for (const std::string* text: {&unterminated, &pairs, &noEquals, &braces, &backslashes})
			CPPUNIT_ASSERT(secondsToParse(*text) < 2.0);
		EnvFile f = parse(unterminated);
		CPPUNIT_ASSERT_EQUAL(std::string("1"), value(f, "C"));
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), f.warnings().size());
		f = parse(pairs);   // A="<newline>A=" ... each quote closes the one before
		CPPUNIT_ASSERT_EQUAL(std::string("\nA="), value(f, "A"));
		CPPUNIT_ASSERT_EQUAL(std::string(""), warnings(f));
		f = parse(noEquals);   // the first warnings are kept, the rest counted
		CPPUNIT_ASSERT_EQUAL(EnvFile::MAX_WARNINGS, f.warnings().size());
		CPPUNIT_ASSERT_EQUAL(noEquals.size() / 2 - EnvFile::MAX_WARNINGS, f.moreWarnings());
		CPPUNIT_ASSERT_EQUAL(std::size_t(EnvFile::MAX_WARNINGS), f.warnings().back().line);
		CPPUNIT_ASSERT_EQUAL(std::string(""), value(parse(braces), "A"));
	}

	void testReadAFile()
	{
		std::string path = scratchFile("# written by bootstrap\nA=1\r\nB=\"two\nlines\"\n");
		EnvFile f = EnvFile::read(path, ENV);
		::unlink(path.c_str());
		CPPUNIT_ASSERT_EQUAL(std::string("1"), value(f, "A"));
		CPPUNIT_ASSERT_EQUAL(std::string("two\nlines"), value(f, "B"));
		CPPUNIT_ASSERT_EQUAL(std::string(""), warnings(f));
	}

	void testFileSizeLimit()
	{
		std::string fits = "A=1\n# " + std::string(EnvFile::MAX_FILE_BYTES - 7, 'p') + "\n";
		CPPUNIT_ASSERT_EQUAL(EnvFile::MAX_FILE_BYTES, fits.size());
		std::string path = scratchFile(fits);
		EnvFile f = EnvFile::read(path, ENV);
		CPPUNIT_ASSERT_EQUAL(std::string("1"), value(f, "A"));
		std::ofstream(path, std::ios::app) << "B=2\n";
		f = EnvFile::read(path, ENV);
		::unlink(path.c_str());
		CPPUNIT_ASSERT(f.entries().empty());
		CPPUNIT_ASSERT_EQUAL(std::string("0: larger than 1 MiB; ignored"), warnings(f));
	}

	void testMissingDirectoryAndFifo()
	{
		CPPUNIT_ASSERT_EQUAL(std::string("0: cannot open: No such file or directory"), warnings(EnvFile::read("/nonexistent/envs", ENV)));
		CPPUNIT_ASSERT_EQUAL(std::string("0: not a regular file; ignored"), warnings(EnvFile::read("/tmp", ENV)));
		std::string fifo = "/tmp/execd-envfile-fifo-" + std::to_string(::getpid());
		CPPUNIT_ASSERT_EQUAL(0, ::mkfifo(fifo.c_str(), 0600));
		EnvFile f = EnvFile::read(fifo, ENV);   // no writer: must not wait for one
		::unlink(fifo.c_str());
		CPPUNIT_ASSERT_EQUAL(std::string("0: not a regular file; ignored"), warnings(f));
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(EnvFileTest);
