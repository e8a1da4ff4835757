#!/usr/bin/python3
"""Isolated-session clients for bench/isolation.sh (Python from Debian, standard library only).

  isoclient.py once PORT WS RUNS MODE      runOnce("echo hi") as the SDK does it: create, run, delete;
                                           create-to-first-output and the whole runOnce, p50/p99
  isoclient.py warm PORT WS RUNS           a run in an existing isolated session against a /session
                                           run of the same command, one keep-alive connection each
  isoclient.py idle PORT WS COUNT PID      execd's RSS, threads and fds with COUNT idle overlay sessions
"""
import http.client, json, socket, statistics, sys, time


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100.0 * (len(values) - 1))))]


class Client:
    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port)

    def call(self, method, path, body=None):
        self.conn.request(method, path, json.dumps(body) if body is not None else None,
                          {"Content-Type": "application/json"} if body is not None else {})
        r = self.conn.getresponse()
        data = r.read()
        return r.status, data

    def stream(self, path, body, marker):
        """POST path; the time the marker first appears and the time the stream ends."""
        self.conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        r = self.conn.getresponse()
        seen, buf = None, bytearray()
        while True:
            chunk = r.read1(65536)
            if not chunk:
                break
            buf += chunk
            if seen is None and marker in buf:
                seen = time.perf_counter()
        return seen, time.perf_counter(), bytes(buf)


def once(port, ws, runs, mode):
    c = Client(port)
    first, whole = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        status, body = c.call("POST", "/v1/isolated/session", {"workspace": {"path": ws, "mode": mode}})
        assert status == 201, body
        sid = json.loads(body)["session_id"]
        seen, _, raw = c.stream("/v1/isolated/session/%s/run" % sid, {"code": "echo hi"}, b'"type":"stdout"')
        assert seen is not None, raw
        status, _ = c.call("DELETE", "/v1/isolated/session/%s" % sid)
        assert status == 200
        t3 = time.perf_counter()
        first.append((seen - t0) * 1000)
        whole.append((t3 - t0) * 1000)
    print("runOnce('echo hi'), %s: create to first output p50 %.2f ms, p99 %.2f ms; whole runOnce (with delete) p50 %.2f ms (%d runs)" % (
        mode, pct(first, 50), pct(first, 99), pct(whole, 50), runs))
    return pct(first, 50)


def warm(port, ws, runs):
    c = Client(port)
    status, body = c.call("POST", "/v1/isolated/session", {"workspace": {"path": ws}})
    sid = json.loads(body)["session_id"]
    iso = []
    for i in range(runs + 20):
        t0 = time.perf_counter()
        _, t1, raw = c.stream("/v1/isolated/session/%s/run" % sid, {"code": "x=$((x+1)); echo $x"}, b"\n")
        assert b'"text":"%d"' % (i + 1) in raw, raw
        if i >= 20:
            iso.append((t1 - t0) * 1000)
    c.call("DELETE", "/v1/isolated/session/%s" % sid)
    status, body = c.call("POST", "/session", {})
    sid = json.loads(body)["session_id"]
    plain = []
    for i in range(runs + 20):
        t0 = time.perf_counter()
        _, t1, raw = c.stream("/session/%s/run" % sid, {"command": "x=$((x+1)); echo $x"}, b"\n")
        assert b'"text":"%d"' % (i + 1) in raw, raw
        if i >= 20:
            plain.append((t1 - t0) * 1000)
    print("warm run: isolated session p50 %.2f ms, p99 %.2f ms; /session run p50 %.2f ms, p99 %.2f ms; difference of the medians %+.2f ms (%d runs each)" % (
        pct(iso, 50), pct(iso, 99), pct(plain, 50), pct(plain, 99), pct(iso, 50) - pct(plain, 50), runs))


def status(pid):
    fields = {}
    for line in open("/proc/%d/status" % pid):
        k, _, v = line.partition(":")
        if v.split():
            fields[k] = v.split()[0]
    import os
    return int(fields["VmRSS"]), int(fields["Threads"]), len(os.listdir("/proc/%d/fd" % pid))


def idle(port, ws, count, pid):
    c = Client(port)
    time.sleep(2)
    rss0, threads0, fds0 = status(pid)
    ids = []
    for _ in range(count):
        status_, body = c.call("POST", "/v1/isolated/session", {"workspace": {"path": ws}})
        assert status_ == 201, body
        ids.append(json.loads(body)["session_id"])
    c.call("POST", "/v1/isolated/session/%s/run" % ids[-1], {"code": "true"})
    time.sleep(2)
    rss1, threads1, fds1 = status(pid)
    print("%d idle overlay sessions: execd RSS %d -> %d kB (%.1f kB per session, goal <= 100), threads %d -> %d, fds %d -> %d (%.1f per session)" % (
        count, rss0, rss1, (rss1 - rss0) / count, threads0, threads1, fds0, fds1, (fds1 - fds0) / count))
    for sid in ids:
        c.call("DELETE", "/v1/isolated/session/%s" % sid)
    time.sleep(1)
    rss2, threads2, fds2 = status(pid)
    print("after deleting them: RSS %d kB, threads %d, fds %d" % (rss2, threads2, fds2))


if __name__ == "__main__":
    cmd, port = sys.argv[1], int(sys.argv[2])
    if cmd == "once":
        once(port, sys.argv[3], int(sys.argv[4]), sys.argv[5])
    elif cmd == "warm":
        warm(port, sys.argv[3], int(sys.argv[4]))
    elif cmd == "idle":
        idle(port, sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
