#!/usr/bin/python3
"""Resumable-stream clients for bench/resume.sh (Python from Debian, standard library only).

  resumeclient.py latency PORT RUNS        `echo hi` to the end of its stream, plain and resumable
                                           alternately: p50 of each
  resumeclient.py throughput PORT FILE REPS  `cat FILE` streamed, plain and resumable alternately:
                                           the median MB/s of stream bytes of each
  resumeclient.py resume PORT RUNS         a finished 20,000-line resumable command, read again from
                                           a random event RUNS times: request to the first replayed
                                           event, p50/p99
  resumeclient.py retained PORT PID COUNT  execd's RSS before and after COUNT finished resumable runs
                                           of 20,000 lines each are retained
"""
import json, random, socket, statistics, sys, time


def request(port, method, path, body=None, headers=(), on_first=None):
    s = socket.create_connection(("127.0.0.1", port))
    data = json.dumps(body).encode() if body is not None else b""
    head = "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: %d\r\n" % (method, path, len(data))
    for h in headers:
        head += h + "\r\n"
    s.sendall(head.encode() + b"\r\n" + data)
    total = 0
    chunks = []
    first = None
    while True:
        b = s.recv(1 << 20)
        if not b:
            break
        total += len(b)
        if on_first is not None and first is None:
            chunks.append(b)
            if on_first in b"".join(chunks):
                first = time.perf_counter()
                chunks = []
        elif len(chunks) < 64:
            chunks.append(b)
    s.close()
    return total, first, b"".join(chunks)


RESUMABLE = ("X-Execd-Resumable: 1",)


def latency(port, runs):
    out = {False: [], True: []}
    for i in range(runs * 2):
        resumable = bool(i % 2)
        t0 = time.perf_counter()
        request(port, "POST", "/command", {"command": "echo hi"}, RESUMABLE if resumable else ())
        out[resumable].append((time.perf_counter() - t0) * 1000)
    for r in (False, True):
        print("echo hi %-9s p50 %.3f ms (%d runs)" % ("resumable" if r else "plain", statistics.median(out[r]), runs))
    print("ratio resumable/plain %.3f" % (statistics.median(out[True]) / statistics.median(out[False])))


def throughput(port, path, reps):
    out = {False: [], True: []}
    for i in range(reps * 2):
        resumable = bool(i % 2)
        t0 = time.perf_counter()
        total, _, _ = request(port, "POST", "/command", {"command": "cat " + path}, RESUMABLE if resumable else ())
        out[resumable].append(total / (time.perf_counter() - t0) / 1e6)
    for r in (False, True):
        print("cat %-9s %.1f MB/s median of %s" % ("resumable" if r else "plain", statistics.median(out[r]),
                                                  " ".join("%.0f" % v for v in out[r])))
    print("ratio resumable/plain %.3f" % (statistics.median(out[True]) / statistics.median(out[False])))


def run_id(raw):
    text = raw.decode(errors="replace")
    at = text.find('"type":"init","text":"')
    return text[at + 22:text.find('"', at + 22)]


def resume(port, runs):
    _, _, raw = request(port, "POST", "/command", {"command": "seq 1 20000"}, RESUMABLE)
    rid = run_id(raw)
    times = []
    for _ in range(runs):
        after = random.randint(1, 19000)
        t0 = time.perf_counter()
        _, first, _ = request(port, "GET", "/runs/%s/events" % rid, None, ("Last-Event-ID: %d" % after,), on_first=b"id: %d\n" % (after + 1))
        times.append((first - t0) * 1000)
    times.sort()
    print("resume to first replayed event p50 %.3f ms p99 %.3f ms (%d resumes)" % (statistics.median(times), times[int(0.99 * (len(times) - 1))], runs))


def rss(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1])


def retained(port, pid, count):
    request(port, "POST", "/command", {"command": "seq 1 20000"}, RESUMABLE)
    time.sleep(6)   # the housekeeper trims the heap every 5 s
    before = rss(pid)
    for _ in range(count):
        request(port, "POST", "/command", {"command": "seq 1 20000"}, RESUMABLE)
    time.sleep(6)
    after = rss(pid)
    print("RSS with %d finished runs retained: %d -> %d kB (+%.1f MB)" % (count, before, after, (after - before) / 1024.0))


if __name__ == "__main__":
    cmd, port = sys.argv[1], int(sys.argv[2])
    if cmd == "latency":
        latency(port, int(sys.argv[3]))
    elif cmd == "throughput":
        throughput(port, sys.argv[3], int(sys.argv[4]))
    elif cmd == "resume":
        resume(port, int(sys.argv[3]))
    elif cmd == "retained":
        retained(port, int(sys.argv[3]), int(sys.argv[4]))
