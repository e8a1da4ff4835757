#!/usr/bin/python3
"""PTY benchmarks for bench/pty.sh (python3-websocket).

  ptyclient.py keystroke PORT N        stdin frame -> echoed output frame, N keystrokes
  ptyclient.py cat PORT MIB            cat of MIB MiB inside the PTY, client reading at full speed
  ptyclient.py stall PORT MIB SECONDS  the same, the client reading nothing for SECONDS (prints when it stops/resumes)
  ptyclient.py hold PORT N SECONDS     N sessions with a client each, held SECONDS
"""
import json, sys, time, urllib.request
import websocket


def session(port, command=""):
    body = json.dumps({"command": command} if command else {}).encode()
    req = urllib.request.Request("http://127.0.0.1:%d/pty" % port, data=body, method="POST")
    return json.loads(urllib.request.urlopen(req).read())["session_id"]


def connect(port, sid, query=""):
    ws = websocket.create_connection("ws://127.0.0.1:%d/pty/%s/ws%s" % (port, sid, query), timeout=30)
    return ws


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100.0 * (len(values) - 1))))]


def keystroke(port, n):
    ws = connect(port, session(port))
    ws.settimeout(0.3)
    try:
        while True:
            ws.recv_data()
    except websocket.WebSocketTimeoutException:
        pass
    ws.settimeout(10)
    times = []
    for i in range(n):
        if i % 50 == 0:
            ws.send_binary(b"\x00\x15")   # Ctrl-U: keep the line short
            ws.settimeout(0.05)
            try:
                while True:
                    ws.recv_data()
            except websocket.WebSocketTimeoutException:
                pass
            ws.settimeout(10)
        t0 = time.perf_counter()
        ws.send_binary(b"\x00q")
        while True:
            op, data = ws.recv_data()
            if op == 2 and data[:1] == b"\x01" and b"q" in data:
                break
        times.append((time.perf_counter() - t0) * 1000)
    print("keystroke round trip over %d keys: p50 %.3f ms, p99 %.3f ms (goal p50 <= 1 ms)" % (n, pct(times, 50), pct(times, 99)))


def cat(port, mib):
    sid = session(port, "head -c %d /dev/zero | tr '\\0' x" % (mib << 20))
    ws = connect(port, sid)
    t0 = time.perf_counter()
    got = 0
    while True:
        op, data = ws.recv_data()
        if op == 2 and data[:1] == b"\x01":
            got += len(data) - 1
        elif op == 1 and b'"exit"' in data:
            break
    took = time.perf_counter() - t0
    print("cat of %d MiB in the PTY: %d bytes in %.2f s = %.0f MiB/s" % (mib, got, took, got / took / 1048576))


def stall(port, mib, seconds):
    sid = session(port, "head -c %d /dev/zero | tr '\\0' x" % (mib << 20))
    ws = connect(port, sid)
    ws.recv_data()
    print("stalled", flush=True)
    time.sleep(seconds)
    print("resumed", flush=True)
    ws.close()


def hold(port, n, seconds):
    sockets = []
    for _ in range(n):
        ws = connect(port, session(port))
        ws.settimeout(5)
        sockets.append(ws)
    print("holding %d sessions" % n, flush=True)
    time.sleep(seconds)
    for ws in sockets:
        ws.close()


if __name__ == "__main__":
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "keystroke":
        keystroke(port, int(sys.argv[3]))
    elif mode == "cat":
        cat(port, int(sys.argv[3]))
    elif mode == "stall":
        stall(port, int(sys.argv[3]), float(sys.argv[4]))
    elif mode == "hold":
        hold(port, int(sys.argv[3]), float(sys.argv[4]))
