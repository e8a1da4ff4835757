// An error of a run, named and formatted as upstream OpenSandbox's Java kernel
// (IJava 1.3.0 on jupyter-jvm-basekernel 2.3.0) reports it, so that clients
// written against upstream see the same ename, evalue and traceback.
//
// ename is the simple name of the kernel's exception: EvalException (the
// snippet threw; the real class is in the traceback), CompilationException,
// IncompleteSourceException, UnresolvedReferenceException,
// EvaluationInterruptedException, or the class of anything else. Traceback
// lines carry the kernel's ANSI styles: bold red for messages, bold black
// behind a "|   " margin for source lines, a red background for the span a
// compiler diagnostic points at.

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import jdk.jshell.*;

final class KernelError {
    final String ename;
    final String evalue;
    final List<String> traceback;

    private static final String RESET = "\033[0m";
    private static final String MESSAGE = "\033[1m\033[31m";          // bold red
    private static final String SOURCE = "\033[1m\033[30m";           // bold black
    private static final String MARKED = SOURCE + "\033[41m";         // ... on red
    private static final String MARGIN = SOURCE + "|   ";
    private static final String RULE = "-".repeat(75);
    private static final Pattern LINE_BREAK = Pattern.compile("\\R");
    private static final int MAX_CAUSES = Integer.getInteger("execd.maxCauses", 64);   // execd's JavaSettings::MAX_CAUSES

    private KernelError(String ename, String evalue, List<String> traceback) {
        this.ename = ename;
        this.evalue = evalue;
        this.traceback = traceback;
    }

    /// The snippet threw: evalue is the exception's message ("null" when it has
    /// none), the traceback its stack trace under the real class name. Causes
    /// follow as "Caused by:" (IJava's own executor drops them).
    static KernelError evaluation(EvalException x) {
        List<String> lines = new ArrayList<>();
        lines.add(message(RULE));
        String evalue = String.valueOf(x.getMessage());
        StackTraceElement[] enclosing = null;
        Map<Throwable, Boolean> seen = new IdentityHashMap<>();
        Throwable t = x;
        for (int depth = 0; t != null && depth < MAX_CAUSES && seen.put(t, Boolean.TRUE) == null; ++depth) {
            String header = (enclosing == null ? "" : "Caused by: ") + className(t) + ": " + String.valueOf(t.getMessage());
            StackTraceElement[] frames = t.getStackTrace();
            StringBuilder text = new StringBuilder(header).append('\n');
            int shared = enclosing == null ? 0 : sharedTail(frames, enclosing);
            for (int i = 0; i < frames.length - shared; ++i) text.append("\tat ").append(frames[i]).append('\n');
            if (shared > 0) text.append("\t... ").append(shared).append(" more\n");
            for (String line : split(text.toString())) lines.add(message(line));
            enclosing = frames;
            t = t.getCause();
        }
        return new KernelError("EvalException", evalue, lines);
    }

    /// The snippet uses a declaration that is missing something (a method whose
    /// body calls an undefined method, say).
    static KernelError unresolvedReference(JShell shell, UnresolvedReferenceException x) {
        DeclarationSnippet snippet = x.getSnippet();
        List<String> lines = new ArrayList<>();
        addUnresolved(lines, shell, snippet);
        return new KernelError("UnresolvedReferenceException", x.getMessage() == null ? "" : x.getMessage(), lines);
    }

    /// The snippet did not compile (rejected, or declared but not defined):
    /// each diagnostic as the source with the span marked, then its message
    /// (without "location:" lines) and a blank line. evalue is empty.
    static KernelError compilation(JShell shell, Snippet snippet) {
        List<String> lines = new ArrayList<>();
        String source = snippet.source();
        shell.diagnostics(snippet).forEach(d -> {
            long start = d.getStartPosition(), end = d.getEndPosition();
            if (start >= 0 && end >= 0) addMarked(lines, source, (int) Math.min(start, source.length()), (int) Math.min(end, source.length()));
            else addSource(lines, source);
            for (String line : split(d.getMessage(null))) {
                if (!line.trim().startsWith("location:")) lines.add(message(line));
            }
            lines.add("");
        });
        if (snippet instanceof DeclarationSnippet) addUnresolved(lines, shell, (DeclarationSnippet) snippet);
        return new KernelError("CompilationException", "", lines);
    }

    /// The cell ends in the middle of a statement: evalue is the unfinished part.
    static KernelError incomplete(String rest) {
        String source = rest.trim();
        List<String> lines = new ArrayList<>();
        lines.add(message("Incomplete input:"));
        addSource(lines, source);
        return new KernelError("IncompleteSourceException", source, lines);
    }

    /// An interrupt stopped the snippet with this source.
    static KernelError interrupted(String snippetSource) {
        List<String> lines = new ArrayList<>();
        addSource(lines, snippetSource.trim());
        lines.add(message("Evaluation interrupted."));
        return new KernelError("EvaluationInterruptedException", "", lines);
    }

    /// Anything else that escaped the evaluation (JShell itself failing, for
    /// one): its simple class name, message and stack trace.
    static KernelError unexpected(Throwable t) {
        List<String> lines = new ArrayList<>();
        lines.add(message(RULE));
        String evalue;
        try {
            evalue = t.getLocalizedMessage() == null ? "" : t.getLocalizedMessage();
            StringWriter w = new StringWriter();
            t.printStackTrace(new PrintWriter(w, true));
            for (String line : split(w.toString())) lines.add(message(line));
        } catch (Throwable again) {
            // A throwable whose message or trace cannot be had still gets named.
            evalue = "";
            lines = new ArrayList<>(List.of(message(RULE), message(t.getClass().getName())));
        }
        return new KernelError(t.getClass().getSimpleName(), evalue, lines);
    }

    private static String className(Throwable t) {
        return t instanceof EvalException ? ((EvalException) t).getExceptionClassName() : t.getClass().getName();
    }

    private static int sharedTail(StackTraceElement[] frames, StackTraceElement[] enclosing) {
        int i = frames.length - 1, j = enclosing.length - 1;
        while (i >= 0 && j >= 0 && frames[i].equals(enclosing[j])) {
            --i;
            --j;
        }
        return frames.length - 1 - i;
    }

    private static void addUnresolved(List<String> lines, JShell shell, DeclarationSnippet snippet) {
        List<String> missing = shell.unresolvedDependencies(snippet).collect(Collectors.toList());
        if (missing.isEmpty()) return;
        addSource(lines, snippet.source());
        lines.add(message("Unresolved dependencies:"));
        for (String name : missing) lines.add(message("   - " + name));
    }

    private static void addSource(List<String> lines, String source) {
        for (String line : split(source)) lines.add(MARGIN + SOURCE + line + RESET);
    }

    /// The lines of source that [start, end) touches, that span on red.
    private static void addMarked(List<String> lines, String source, int start, int end) {
        // Line k runs from lineStart to the next line break, the last one to the end.
        List<int[]> bounds = new ArrayList<>();
        Matcher m = LINE_BREAK.matcher(source);
        int lineStart = 0;
        while (m.find()) {
            bounds.add(new int[] {lineStart, m.start()});
            lineStart = m.end();
        }
        bounds.add(new int[] {lineStart, source.length()});
        boolean inside = false;
        for (int[] b : bounds) {
            int from = b[0], to = b[1];
            if (!inside) {
                if (to < start) continue;
                inside = true;
                int markFrom = Math.max(from, start);
                StringBuilder line = new StringBuilder(MARGIN).append(SOURCE).append(source, from, markFrom).append(RESET);
                line.append(MARKED).append(source, markFrom, Math.max(markFrom, Math.min(to, end))).append(RESET);
                if (end <= to) line.append(SOURCE).append(source, Math.max(markFrom, end), to).append(RESET);
                lines.add(line.toString());
            } else if (to <= end) {
                lines.add(MARGIN + MARKED + source.substring(from, to) + RESET);
            } else {
                lines.add(MARGIN + MARKED + source.substring(from, Math.max(from, end)) + RESET + SOURCE + source.substring(Math.max(from, end), to) + RESET);
            }
            if (end <= to) break;
        }
    }

    private static String message(String text) {
        return MESSAGE + text + RESET;
    }

    /// Lines as the kernel splits text: at any line break, trailing empty lines dropped.
    private static List<String> split(String text) {
        return List.of(LINE_BREAK.split(text));
    }
}
