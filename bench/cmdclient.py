#!/usr/bin/python3
"""Command-stream clients for bench/commands.sh (Python from Debian, standard library only).

  cmdclient.py latency PORT RUNS          time to the stdout event and to the end of the stream
  cmdclient.py flood PORT CONCURRENCY LINES REPS
                                          CONCURRENCY commands printing LINES numbered lines each,
                                          REPS times; checks count and order of every stream
  cmdclient.py many PORT COUNT PARALLEL   runs COUNT `true` commands, PARALLEL at a time
  cmdclient.py session PORT RUNS          bash-session run latency (one keep-alive connection)
                                          against bash driven through pipes, and how long a
                                          stop (run timeout) takes after its deadline
"""
import http.client, json, re, socket, statistics, subprocess, sys, threading, time


def post(port, body, on_chunk=None):
    s = socket.create_connection(("127.0.0.1", port))
    data = json.dumps(body).encode()
    s.sendall(b"POST /command HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: %d\r\n\r\n" % len(data) + data)
    chunks = []
    while True:
        b = s.recv(1 << 20)
        if not b:
            break
        chunks.append(b)
        if on_chunk:
            on_chunk(b)
    s.close()
    return b"".join(chunks)


def dechunk(raw):
    head, _, body = raw.partition(b"\r\n\r\n")
    out = bytearray()
    pos = 0
    while pos < len(body):
        eol = body.find(b"\r\n", pos)
        if eol < 0:
            break
        size = int(body[pos:eol], 16)
        if size == 0:
            break
        out += body[eol + 2:eol + 2 + size]
        pos = eol + 2 + size + 2
    return bytes(out)


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100.0 * (len(values) - 1))))]


def latency(port, runs):
    first, end = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        seen = [None]
        buf = bytearray()

        def chunk(b):
            if seen[0] is None:
                buf.extend(b)
                if b'"type":"stdout"' in buf:
                    seen[0] = time.perf_counter()
        post(port, {"command": "echo hi"}, chunk)
        t2 = time.perf_counter()
        first.append((seen[0] - t0) * 1000)
        end.append((t2 - t0) * 1000)
    print("stdout event: p50 %.2f ms, p99 %.2f ms; stream end: p50 %.2f ms, p99 %.2f ms (%d runs)" % (
        pct(first, 50), pct(first, 99), pct(end, 50), pct(end, 99), runs))
    return pct(end, 50)


NUMBER = re.compile(rb'"type":"stdout","text":"(\d+)"')


def flood(port, concurrency, lines, reps):
    failures = 0
    total = 0
    started = time.perf_counter()
    for rep in range(reps):
        results = [None] * concurrency

        def one(i):
            results[i] = post(port, {"command": "seq 1 %d" % lines})
        threads = [threading.Thread(target=one, args=(i,)) for i in range(concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for raw in results:
            body = dechunk(raw)
            numbers = [int(n) for n in NUMBER.findall(body)]
            total += len(numbers)
            ok = numbers == list(range(1, lines + 1)) and b'"type":"execution_complete"' in body
            if not ok:
                failures += 1
    took = time.perf_counter() - started
    print("%d reps x %d commands x %d lines: %d lines received, %d streams with lost or reordered lines, %.1f s (%.0f lines/s)" % (
        reps, concurrency, lines, total, failures, took, total / took))
    return failures


def many(port, count, parallel):
    done = [0]
    lock = threading.Lock()

    def worker(n):
        for _ in range(n):
            raw = post(port, {"command": "true"})
            assert b"execution_complete" in raw, raw[-200:]
            with lock:
                done[0] += 1
    per = count // parallel
    threads = [threading.Thread(target=worker, args=(per,)) for _ in range(parallel)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.perf_counter() - t0
    print("%d commands in %.1f s (%.0f/s)" % (done[0], took, done[0] / took))


def session(port, runs):
    conn = http.client.HTTPConnection("127.0.0.1", port)

    def call(path, body):
        conn.request("POST", path, json.dumps(body))
        return conn.getresponse().read()
    sid = json.loads(call("/session", {}))["session_id"]
    times = []
    for i in range(runs):
        t0 = time.perf_counter()
        body = call("/session/%s/run" % sid, {"command": "x=$((x+1)); echo $x"})
        times.append((time.perf_counter() - t0) * 1000)
        assert b'"text":"%d"' % (i + 1) in body, body
    # The floor: the same command line through a bash that reads its stdin, as
    # a session's bash does, with an echoed marker to know it is done.
    bash = subprocess.Popen(["/bin/bash", "--noprofile", "--norc"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    floor = []
    for i in range(runs):
        t0 = time.perf_counter()
        bash.stdin.write(b"x=$((x+1)); echo $x; echo __mark__\n")
        bash.stdin.flush()
        while bash.stdout.readline() != b"__mark__\n":
            pass
        floor.append((time.perf_counter() - t0) * 1000)
    bash.stdin.close()
    bash.wait()
    print("session run: p50 %.2f ms, p99 %.2f ms; baseline bash through pipes: p50 %.2f ms, p99 %.2f ms (%d runs)" % (
        pct(times, 50), pct(times, 99), pct(floor, 50), pct(floor, 99), runs))
    stops = []
    for _ in range(20):
        t0 = time.perf_counter()
        body = call("/session/%s/run" % sid, {"command": "echo go; sleep 5; echo not-reached", "timeout": 200})
        stops.append((time.perf_counter() - t0) * 1000 - 200)
        assert b"not-reached" not in body and b"timeout after 200ms" in body, body
    print("stop of a timed-out run, stream end after its deadline: p50 %.2f ms, p99 %.2f ms (20 runs)" % (pct(stops, 50), pct(stops, 99)))


if __name__ == "__main__":
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "latency":
        latency(port, int(sys.argv[3]))
    elif mode == "flood":
        sys.exit(1 if flood(port, int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])) else 0)
    elif mode == "many":
        many(port, int(sys.argv[3]), int(sys.argv[4]))
    elif mode == "session":
        session(port, int(sys.argv[3]))
