// The JVM side of execd's java module: one JShell (local execution engine) per
// process, driven over file descriptors 3 (requests) and 4 (replies). User code
// writes to the process's own stdout and stderr, which execd streams.
//
// Requests:  "RUN <bytes>\n<code>"  |  "STOP\n"
// Replies:   "READY\n"
//            "RESULT <bytes>\n<text>"
//            "ERROR <bytes>\n<ename>\n<evalue length>\n<evalue><traceback lines, each ending in \n>"
//            (named and formatted as upstream's IJava kernel does: see KernelError)
//            "DONE <execution count>\n"

import java.io.*;
import java.nio.charset.StandardCharsets;
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
        String[] value = {null};
        KernelError error;
        try {
            error = evaluate(shell, source, value);
        } catch (Throwable t) {
            // JShell itself failed (a cyclic exception cause overflows its stack,
            // for one); the run still gets an answer and the context lives on.
            error = KernelError.unexpected(t);
        }
        System.out.flush();
        System.err.flush();
        if (error != null) error(error);
        else if (value[0] != null) reply("RESULT ", value[0]);
        reply("DONE " + count + "\n", null);
    }

    /// Evaluates a cell snippet by snippet, as the kernel does, up to the first
    /// error, which it returns (null if none). value[0] gets the value of the
    /// last snippet when that is an expression.
    private static KernelError evaluate(JShell shell, String cell, String[] value) {
        SourceCodeAnalysis analysis = shell.sourceCodeAnalysis();
        SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(cell);
        // UNKNOWN counts as complete: JShell compiles it and reports what is wrong.
        for (; info.completeness().isComplete(); info = analysis.analyzeCompletion(info.remaining())) {
            String snippetSource = info.source();
            if (stopRequested) return KernelError.interrupted(snippetSource);
            value[0] = null;
            KernelError error = evaluateSnippet(shell, snippetSource, value);
            if (error != null) return error;
            if (stopRequested) return KernelError.interrupted(snippetSource);
        }
        if (info.completeness() != SourceCodeAnalysis.Completeness.EMPTY) return KernelError.incomplete(info.remaining());
        return null;
    }

    private static KernelError evaluateSnippet(JShell shell, String source, String[] value) {
        for (SnippetEvent e : shell.eval(source)) {
            if (e.causeSnippet() != null) continue;   // updates of dependent snippets
            JShellException x = e.exception();
            if (x instanceof EvalException) return KernelError.evaluation((EvalException) x);
            if (x instanceof UnresolvedReferenceException) return KernelError.unresolvedReference(shell, (UnresolvedReferenceException) x);
            if (x != null) return KernelError.unexpected(x);
            // Rejected, or a declaration that cannot be defined yet (class B extends Missing).
            if (!e.status().isDefined()) return KernelError.compilation(shell, e.snippet());
            Snippet snippet = e.snippet();
            if (snippet.kind() == Snippet.Kind.EXPRESSION || (snippet.kind() == Snippet.Kind.VAR
                    && ((VarSnippet) snippet).subKind() == Snippet.SubKind.TEMP_VAR_EXPRESSION_SUBKIND)) {
                String text = e.value();
                boolean isVoid = snippet instanceof ExpressionSnippet && "void".equals(((ExpressionSnippet) snippet).typeName());
                if (text != null && !text.isEmpty() && !isVoid) value[0] = text;
            }
        }
        return null;
    }

    private static void error(KernelError error) {
        StringBuilder body = new StringBuilder(error.ename).append('\n');
        body.append(error.evalue.getBytes(StandardCharsets.UTF_8).length).append('\n').append(error.evalue);
        for (String line : error.traceback) body.append(line).append('\n');
        reply("ERROR ", body.toString());
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
