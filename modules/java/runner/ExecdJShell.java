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
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
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
        BlockingQueue<String> cells = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> read(requests, cells), "execd-requests");
        reader.setDaemon(true);
        reader.start();
        reply("READY\n", null);
        for (int count = 1; ; ++count) {
            String source = cells.take();
            // Runs on its own thread so that this one can stop it.
            final int number = count;
            Thread runner = new Thread(() -> run(shell, source, number), "execd-run");
            runner.start();
            while (runner.isAlive()) {
                // JShell.stop() stops only user code that is executing: one that
                // comes while JShell compiles a snippet is lost, and that snippet
                // (a "while (true)" loop, say) would then run on. So it is
                // repeated until the run ends; evaluate() starts no new snippet
                // once stopRequested is set.
                if (stopRequested) shell.stop();
                runner.join(5);
            }
        }
    }

    /// Reads requests until execd closes fd 3, then ends the process. A RUN is
    /// queued (execd sends the next one only after DONE, but that may come before
    /// the run's thread has ended); a STOP applies to the run last queued.
    private static void read(InputStream requests, BlockingQueue<String> cells) {
        try {
            for (String line; (line = readLine(requests)) != null; ) {
                if (line.equals("STOP")) {
                    stopRequested = true;
                } else if (line.startsWith("RUN ")) {
                    byte[] code = requests.readNBytes(Integer.parseInt(line.substring(4).trim()));
                    stopRequested = false;
                    cells.put(new String(code, StandardCharsets.UTF_8));
                }
            }
        } catch (IOException | InterruptedException | NumberFormatException e) {
            // execd is gone or speaks nonsense: either way this JVM is done.
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
