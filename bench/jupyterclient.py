#!/usr/bin/python3
"""Jupyter benchmarks for bench/jupyter.sh (Debian's Python: jupyter_client is there).

  jupyterclient.py warm PORT RUNS         warm 1+1 through POST /code vs jupyter_client directly
  jupyterclient.py first PORT             one POST /code in the default python context
  jupyterclient.py concurrent PORT N      N contexts running cells at once; checks every result
  jupyterclient.py startup EXECD RUNS     execd's start to its first python result, alternating with
                                          jupyter_client's start_new_kernel -> kernel_info_reply
  jupyterclient.py spare PORT RUNS        a new context to its first result, a spare ready each time
  jupyterclient.py rss PID                RSS of execd and what it started, the kernels left out
"""
import json, os, socket, subprocess, sys, tempfile, threading, time

os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")


def post(port, path, body):
    s = socket.create_connection(("127.0.0.1", port))
    data = json.dumps(body).encode()
    s.sendall(b"POST %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: %d\r\n\r\n" % (path.encode(), len(data)) + data)
    chunks = []
    while True:
        b = s.recv(1 << 16)
        if not b:
            break
        chunks.append(b)
    s.close()
    raw = b"".join(chunks)
    head, _, body = raw.partition(b"\r\n\r\n")
    if b"chunked" in head.lower():
        out, pos = bytearray(), 0
        while True:
            eol = body.find(b"\r\n", pos)
            size = int(body[pos:eol], 16)
            if size == 0:
                break
            out += body[eol + 2:eol + 2 + size]
            pos = eol + 2 + size + 2
        body = bytes(out)
    return head, body


def events(body):
    return [json.loads(e) for e in body.split(b"\n\n") if e.strip().startswith(b"{") and b'"type"' in e]


def result_text(body):
    for e in events(body):
        if e["type"] == "result":
            return e["results"].get("text")
    return None


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100.0 * (len(values) - 1))))]


def warm(port, runs):
    """Alternates one run through execd with one run straight to a kernel of
    jupyter_client's own, so that the machine's noise hits both alike."""
    from jupyter_client.manager import start_new_kernel
    _, body = post(port, "/code/context", {"language": "python"})
    ctx = json.loads(body)["id"]
    request = {"code": "1+1", "context": {"id": ctx, "language": "python"}}
    km, kc = start_new_kernel(kernel_name="python3")
    try:
        quiet = lambda m: None
        for _ in range(20):
            post(port, "/code", request)
            kc.execute_interactive("1+1", timeout=30, output_hook=quiet)
        times, direct = [], []
        for _ in range(runs):
            t0 = time.perf_counter()
            _, body = post(port, "/code", request)
            times.append((time.perf_counter() - t0) * 1000)
            assert result_text(body) == "2", body
            t0 = time.perf_counter()
            kc.execute_interactive("1+1", timeout=30, output_hook=quiet)
            direct.append((time.perf_counter() - t0) * 1000)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    print("execd POST /code 1+1: p50 %.2f ms, p99 %.2f ms (%d runs)" % (pct(times, 50), pct(times, 99), runs))
    print("jupyter_client direct 1+1: p50 %.2f ms, p99 %.2f ms (%d runs, alternating with execd's)" % (pct(direct, 50), pct(direct, 99), runs))
    print("difference of the medians: %.2f ms (goal <= 0.5 ms)" % (pct(times, 50) - pct(direct, 50)))


def first(port):
    t0 = time.perf_counter()
    _, body = post(port, "/code", {"code": "1+1", "context": {"language": "python"}})
    took = (time.perf_counter() - t0) * 1000
    assert result_text(body) == "2", body
    print("first POST /code in the default python context: %.1f ms (goal <= 100 ms)" % took)


def concurrent(port, n):
    ids = [None] * n

    def create(i):
        _, body = post(port, "/code/context", {"language": "python"})
        ids[i] = json.loads(body).get("id")
    # Kernels start four at a time: thirty-two at once on two cores only measures
    # the machine's patience.
    t0 = time.perf_counter()
    for start in range(0, n, 4):
        threads = [threading.Thread(target=create, args=(i,)) for i in range(start, min(n, start + 4))]
        [t.start() for t in threads]
        [t.join() for t in threads]
    created = time.perf_counter() - t0
    if None in ids:
        print("%d of %d contexts could not be created" % (ids.count(None), n))
        return n
    wrong = [0]

    def cell(i, code, expect):
        _, body = post(port, "/code", {"code": code, "context": {"id": ids[i], "language": "python"}})
        if expect is not None and result_text(body) != expect:
            wrong[0] += 1
    t0 = time.perf_counter()
    for code, expect in (("x = %d", None), ("x * 1000 + 7", "%d")):
        threads = []
        for i in range(n):
            c = code % i if "%" in code else code
            e = (expect % (i * 1000 + 7)) if expect else None
            threads.append(threading.Thread(target=cell, args=(i, c, e)))
        [t.start() for t in threads]
        [t.join() for t in threads]
    print("%d contexts created in %.1f s; 2 rounds of %d concurrent cells in %.2f s; wrong results: %d" % (
        n, created, n, time.perf_counter() - t0, wrong[0]))
    return wrong[0]


def startup(execd, runs, mode):
    from jupyter_client.manager import start_new_kernel
    own, theirs = [], []
    for _ in range(runs):
        work = tempfile.mkdtemp(prefix="execd-bench-startup-")
        port_file = os.path.join(work, "port")
        t0 = time.perf_counter()
        p = subprocess.Popen([execd, "--port", "0", "-D", "execd.portFile=" + port_file, "-D", "execd.modules.load=jupyter",
                              "-D", "module.jupyter.mode=" + mode], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while not (os.path.exists(port_file) and open(port_file).read().strip()):
                time.sleep(0.001)
            port = int(open(port_file).read())
            _, body = post(port, "/code", {"code": "1+1", "context": {"language": "python"}})
            own.append((time.perf_counter() - t0) * 1000)
            assert result_text(body) == "2", body
        finally:
            p.terminate()
            p.wait()
            subprocess.run(["rm", "-rf", work])
        t0 = time.perf_counter()
        km, kc = start_new_kernel(kernel_name="python3")
        theirs.append((time.perf_counter() - t0) * 1000)
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    print("%s: execd start to the first python result: p50 %.0f ms (%d runs)" % (mode, pct(own, 50), runs))
    print("%s: jupyter_client start_new_kernel -> kernel_info_reply: p50 %.0f ms (same runs, alternating)" % (mode, pct(theirs, 50)))
    print("%s: difference of the medians: %.0f ms (goal <= 50 ms)" % (mode, pct(own, 50) - pct(theirs, 50)))


def spare(port, runs):
    times = []
    for _ in range(runs):
        time.sleep(2.5)   # the refill of the last one is ready
        t0 = time.perf_counter()
        _, body = post(port, "/code/context", {"language": "python", "cwd": "/tmp/execd-bench-spare"})
        ctx = json.loads(body)["id"]
        _, body = post(port, "/code", {"code": "1+1", "context": {"id": ctx, "language": "python"}})
        times.append((time.perf_counter() - t0) * 1000)
        assert result_text(body) == "2", body
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"DELETE /code/contexts/%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % ctx.encode())
        s.recv(4096)
        s.close()
    print("new context with a spare to its first result: p50 %.1f ms, max %.1f ms (%d runs; goal p50 <= 20 ms)" % (pct(times, 50), max(times), runs))


def rss(pid):
    """KiB of execd and its descendants, the kernels (whatever has a kernel-*.json
    connection file on its command line) and their descendants left out."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(open("/proc/%s/stat" % entry).read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    total, counted, stack = 0, [], [pid]
    while stack:
        p = stack.pop()
        try:
            cmdline = open("/proc/%d/cmdline" % p, "rb").read()
            status = open("/proc/%d/status" % p).read()
        except OSError:
            continue
        if p != pid and b"kernel-" in cmdline and b".json" in cmdline:
            continue
        total += int(status.split("VmRSS:")[1].split()[0])
        counted.append(cmdline.split(b"\0")[0].decode(errors="replace").rsplit("/", 1)[-1])
        stack.extend(children.get(p, []))
    print("%.1f MB (%s)" % (total / 1024.0, ", ".join(counted)))


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "startup":
        startup(sys.argv[2], int(sys.argv[3]), sys.argv[4])
        sys.exit(0)
    port = int(sys.argv[2])
    if mode == "rss":
        rss(port)
    elif mode == "spare":
        spare(port, int(sys.argv[3]))
    elif mode == "warm":
        warm(port, int(sys.argv[3]))
    elif mode == "first":
        first(port)
    elif mode == "concurrent":
        sys.exit(1 if concurrent(port, int(sys.argv[3])) else 0)
