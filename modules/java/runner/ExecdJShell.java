// The JVM side of execd's java module: one JShell (local execution engine) per
// process, driven over file descriptors 3 (requests) and 4 (replies). User code
// writes to the process's own stdout and stderr, which execd streams.
//
// Requests:  "RUN <bytes>\n<code>"  |  "STOP\n"
// Replies:   "READY\n"
//            "RESULT <bytes>\n<text>"
//            "ERROR <bytes>\n<ename>\n<evalue length>\n<evalue><traceback lines...>"
//            "DONE <execution count>\n"

import java.io.*;
import java.nio.charset.StandardCharsets;
import java.util.List;
import jdk.jshell.*;

public final class ExecdJShell {
    private static final Object replyLock = new Object();
    private static OutputStream replies;
    private static volatile boolean stopRequested;

    public static void main(String[] args) throws Exception {
        InputStream requests = new BufferedInputStream(new FileInputStream("/dev/fd/3"));
        // Append mode: never truncates whatever fd 4 is (execd makes it a pipe).
        replies = new BufferedOutputStream(new FileOutputStream("/dev/fd/4", true));
        JShell shell = JShell.builder().executionEngine("local").build();
        // Warm the compiler so that the first real snippet is fast.
        shell.eval("int $execdWarm = 1;");
        reply("READY\n", null);
        Thread.currentThread().setName("execd-requests");
        final JShell jshell = shell;
        final int[] count = {0};
        while (true) {
            String line = readLine(requests);
            if (line == null) break;
            if (line.equals("STOP")) continue;   // nothing is running
            if (!line.startsWith("RUN ")) continue;
            int length = Integer.parseInt(line.substring(4).trim());
            byte[] code = requests.readNBytes(length);
            String source = new String(code, StandardCharsets.UTF_8);
            stopRequested = false;
            // Runs on its own thread so that STOP requests are read meanwhile.
            Thread runner = new Thread(() -> run(jshell, source, ++count[0]), "execd-run");
            runner.start();
            // Requests keep coming while it runs (STOP); the next RUN waits for it.
            while (runner.isAlive()) {
                if (requests.available() > 0) {
                    String next = readLine(requests);
                    if (next == null) System.exit(0);
                    if (next.equals("STOP")) {
                        stopRequested = true;
                        jshell.stop();
                    }
                } else {
                    runner.join(5);
                }
            }
        }
        System.exit(0);
    }

    private static void run(JShell shell, String source, int count) {
        SourceCodeAnalysis analysis = shell.sourceCodeAnalysis();
        String remaining = source;
        String lastValue = null;
        boolean failed = false;
        while (!remaining.isBlank() && !failed && !stopRequested) {
            SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(remaining);
            String snippetSource;
            switch (info.completeness()) {
                case COMPLETE:
                case COMPLETE_WITH_SEMI:
                    snippetSource = info.source();
                    remaining = info.remaining();
                    break;
                case EMPTY:
                    remaining = "";
                    continue;
                default:
                    // Incomplete or unknown: the rest as one snippet; JShell reports what is wrong.
                    snippetSource = remaining;
                    remaining = "";
            }
            List<SnippetEvent> events = shell.eval(snippetSource);
            lastValue = null;
            for (SnippetEvent e : events) {
                if (e.causeSnippet() != null) continue;   // updates of dependent snippets
                Snippet snippet = e.snippet();
                if (e.status() == Snippet.Status.REJECTED) {
                    StringBuilder trace = new StringBuilder();
                    String first = null;
                    for (Diag d : (Iterable<Diag>) shell.diagnostics(snippet)::iterator) {
                        String message = d.getMessage(null);
                        long position = d.getStartPosition();
                        String where = position >= 0 ? "at " + lineColumn(snippet.source(), (int) position) + ": " : "";
                        if (first == null) first = message;
                        trace.append(where).append(message).append('\n');
                    }
                    if (first == null) first = "the snippet was rejected: " + snippet.source().strip();
                    error("CompileError", first, trace.toString());
                    failed = true;
                    break;
                }
                if (e.exception() != null) {
                    JShellException x = e.exception();
                    String ename = x instanceof EvalException ? ((EvalException) x).getExceptionClassName() : x.getClass().getName();
                    String evalue = x.getMessage() == null ? "" : x.getMessage();
                    StringWriter w = new StringWriter();
                    w.append(ename).append(evalue.isEmpty() ? "" : ": " + evalue).append('\n');
                    for (StackTraceElement s : x.getStackTrace()) w.append("\tat ").append(s.toString()).append('\n');
                    if (x instanceof UnresolvedReferenceException) {
                        ename = "UnresolvedReferenceException";
                        evalue = "unresolved reference in " + ((UnresolvedReferenceException) x).getSnippet().source().strip();
                    }
                    error(ename, evalue, w.toString());
                    failed = true;
                    break;
                }
                if (snippet.kind() == Snippet.Kind.EXPRESSION || (snippet.kind() == Snippet.Kind.VAR
                        && ((VarSnippet) snippet).subKind() == Snippet.SubKind.TEMP_VAR_EXPRESSION_SUBKIND)) {
                    String value = e.value();
                    boolean isVoid = snippet instanceof ExpressionSnippet && "void".equals(((ExpressionSnippet) snippet).typeName());
                    if (value != null && !value.isEmpty() && !isVoid) lastValue = value;
                }
            }
        }
        System.out.flush();
        System.err.flush();
        if (!failed && stopRequested) {
            error("Interrupted", "the run was stopped by an interrupt; the context keeps its state", "");
            failed = true;
        }
        if (!failed && lastValue != null) reply("RESULT ", lastValue);
        reply("DONE " + count + "\n", null);
    }

    private static String lineColumn(String source, int position) {
        int line = 1, column = 1;
        for (int i = 0; i < position && i < source.length(); ++i) {
            if (source.charAt(i) == '\n') { ++line; column = 1; } else { ++column; }
        }
        return "line " + line + ", column " + column;
    }

    private static void error(String ename, String evalue, String traceback) {
        byte[] v = evalue.getBytes(StandardCharsets.UTF_8);
        String body = ename + "\n" + v.length + "\n" + evalue + traceback;
        System.out.flush();
        System.err.flush();
        reply("ERROR ", body);
    }

    private static void reply(String head, String body) {
        synchronized (replyLock) {
            try {
                if (body == null) {
                    replies.write(head.getBytes(StandardCharsets.UTF_8));
                } else {
                    byte[] b = body.getBytes(StandardCharsets.UTF_8);
                    replies.write((head + b.length + "\n").getBytes(StandardCharsets.UTF_8));
                    replies.write(b);
                }
                replies.flush();
            } catch (IOException e) {
                System.exit(1);
            }
        }
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1 && c != '\n') b.write(c);
        if (c == -1 && b.size() == 0) return null;
        return b.toString(StandardCharsets.UTF_8);
    }
}
