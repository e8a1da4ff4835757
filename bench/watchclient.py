#!/usr/bin/python3
"""N concurrent GET /metrics/watch streams held for D seconds; counts the lines each receives.

  watchclient.py PORT N SECONDS
"""
import selectors, socket, sys, time

port, n, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
sel = selectors.DefaultSelector()
counts = {}
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /metrics/watch HTTP/1.1\r\nHost: x\r\n\r\n")
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, i)
    counts[i] = 0
end = time.time() + seconds
while time.time() < end:
    for key, _ in sel.select(timeout=0.5):
        try:
            data = key.fileobj.recv(65536)
        except BlockingIOError:
            continue
        counts[key.data] += data.count(b'"cpu_count"')
for key in list(sel.get_map().values()):
    key.fileobj.close()
values = sorted(counts.values())
expected = int(seconds // 2)
print("%d streams for %.0f s: lines per stream min %d, median %d, max %d (a line every 2 s: about %d)" % (
    n, seconds, values[0], values[len(values) // 2], values[-1], expected))
print("streams that missed ticks (fewer than %d lines): %d" % (expected - 1, sum(1 for v in values if v < expected - 1)))
