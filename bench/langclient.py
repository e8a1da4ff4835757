#!/usr/bin/python3
"""Java and Go benchmarks for bench/languages.sh.

  langclient.py java PORT RUNS    context creation to first result; warm System.out.println(1) vs the jshell CLI over pipes
  langclient.py go PORT RUNS      warm fmt.Println(1) vs `go run` of the same program (warm cache)
"""
import json, os, select, socket, subprocess, sys, tempfile, time


def post(port, path, body):
    s = socket.create_connection(("127.0.0.1", port))
    data = json.dumps(body).encode()
    s.sendall(b"POST %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: %d\r\n\r\n" % (path.encode(), len(data)) + data)
    chunks = []
    while True:
        b = s.recv(65536)
        if not b:
            break
        chunks.append(b)
    return b"".join(chunks)


def median(values):
    values = sorted(values)
    return values[len(values) // 2]


def java(port, runs):
    t0 = time.perf_counter()
    ctx = json.loads(post(port, "/code/context", {"language": "java"}).split(b"\r\n\r\n", 1)[1])["id"]
    body = post(port, "/code", {"code": "1 + 1", "context": {"id": ctx, "language": "java"}})
    first = (time.perf_counter() - t0) * 1000
    assert b'"text":"2"' in body, body
    print("java: context creation to first result: %.0f ms (goal <= 1000 ms)" % first)
    for _ in range(5):
        post(port, "/code", {"code": "System.out.println(1);", "context": {"id": ctx, "language": "java"}})
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        body = post(port, "/code", {"code": "System.out.println(1);", "context": {"id": ctx, "language": "java"}})
        times.append((time.perf_counter() - t) * 1000)
        assert b'"text":"1\\n"' in body, body
    p = subprocess.Popen(["jshell", "-q"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    def snippet(code, expect):
        p.stdin.write(code.encode() + b"\n"); p.stdin.flush()
        out = b""
        while expect not in out:
            r, _, _ = select.select([p.stdout], [], [], 30)
            if not r:
                raise RuntimeError("jshell did not answer: %r" % out)
            out += os.read(p.stdout.fileno(), 65536)
    snippet("System.out.println(\"ready\");", b"ready")
    cli = []
    for i in range(min(runs, 30)):
        t = time.perf_counter()
        snippet("System.out.println(%d + 1000000);" % i, str(i + 1000000).encode())
        cli.append((time.perf_counter() - t) * 1000)
    p.stdin.close(); p.kill()
    print("java: warm System.out.println(1) through execd: p50 %.1f ms (%d runs; goal <= 30 ms); jshell CLI over pipes: p50 %.1f ms (%d snippets); ratio %.3f"
          % (median(times), runs, median(cli), len(cli), median(times) / median(cli)))


def go(port, runs):
    ctx = json.loads(post(port, "/code/context", {"language": "go"}).split(b"\r\n\r\n", 1)[1])["id"]
    for _ in range(3):
        post(port, "/code", {"code": "fmt.Println(1)", "context": {"id": ctx, "language": "go"}})
    d = tempfile.mkdtemp()
    with open(os.path.join(d, "main.go"), "w") as f:
        f.write('package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println(1)\n}\n')
    env = dict(os.environ, GOCACHE=os.path.join(d, "cache"), GOPATH=os.path.join(d, "gopath"))
    for _ in range(3):
        subprocess.run(["go", "run", "main.go"], cwd=d, env=env, capture_output=True)
    times, direct = [], []
    for _ in range(runs):
        t = time.perf_counter()
        body = post(port, "/code", {"code": "fmt.Println(1)", "context": {"id": ctx, "language": "go"}})
        times.append((time.perf_counter() - t) * 1000)
        assert b'"text":"1\\n"' in body, body
        t = time.perf_counter()
        out = subprocess.run(["go", "run", "main.go"], cwd=d, env=env, capture_output=True).stdout
        direct.append((time.perf_counter() - t) * 1000)
        assert out == b"1\n"
    print("go: warm fmt.Println(1) through execd: p50 %.0f ms (goal <= 300 ms); go run (warm cache): p50 %.0f ms; ratio %.2f (%d runs each, alternating)"
          % (median(times), median(direct), median(times) / median(direct), runs))


if __name__ == "__main__":
    mode, port, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    java(port, runs) if mode == "java" else go(port, runs)
