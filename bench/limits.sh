#!/bin/sh
# Resource limits (issue #20): /ping latency while a fork bomb runs under
# "limits": {"pids": 64}, against /ping on the same idle execd, alternately in
# the same run, $REPS (5) rounds of $SECONDS_EACH (3) s each. Two bombs: bash's
# classic f(){ f|f& }, whose forks fail and retry, and 100 busy loops (63 run).
# One request every 2 ms on a keep-alive connection; medians of the rounds' p50
# and p99 in ms, and their ratio to idle. The target: p99 <= 10 ms in a bomb.
# Then a 1 GiB allocation under "memory_bytes": "100M": its exit reason and how
# long until execd reported it.
set -eu
. "$(dirname "$0")/lib.sh"
REPS=${REPS:-5}
SECONDS_EACH=${SECONDS_EACH:-3}

start_execd limits -D execd.modules.load=shell
/usr/bin/python3 - "$EXECD_PORT" "$REPS" "$SECONDS_EACH" <<'PY'
import http.client, json, statistics, sys, threading, time
port, reps, each = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])

c = http.client.HTTPConnection("127.0.0.1", port)
c.request("GET", "/capabilities")
caps = json.loads(c.getresponse().read())
if not caps["features"].get("resource_limits"):
    print("# limits: unavailable here:", caps["limits"].get("resourceLimits.unavailable"))
    sys.exit(0)

def pings(seconds):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    out = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        t = time.perf_counter()
        conn.request("GET", "/ping")
        conn.getresponse().read()
        out.append((time.perf_counter() - t) * 1000)
        time.sleep(0.002)
    out.sort()
    return out[len(out) // 2], out[len(out) * 99 // 100], len(out)

def run(body, headers={}):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("POST", "/command", json.dumps(body), headers)
    return conn.getresponse().read().decode()

def during(command):
    t = threading.Thread(target=run, args=({"command": command, "timeout": int((each + 0.5) * 1000), "limits": {"pids": 64}},))
    t.start()
    time.sleep(0.3)
    result = pings(each)
    t.join()
    return result

BOMBS = [("classic", "f(){ f|f& }; f; sleep 60"), ("busy", "for i in $(seq 100); do (while :; do :; done) & done; sleep 60")]
idle, bombs = [], {name: [] for name, _ in BOMBS}
for r in range(reps):
    idle.append(pings(each))
    line = "round %d: idle p50 %.2f p99 %.2f (%d)" % ((r + 1,) + idle[-1])
    for name, command in BOMBS:
        bombs[name].append(during(command))
        line += " | %s p50 %.2f p99 %.2f (%d)" % ((name,) + bombs[name][-1])
    print(line)
i50, i99 = statistics.median(x[0] for x in idle), statistics.median(x[1] for x in idle)
print("# /ping under fork bombs in pids:64, %d rounds of %.0f s" % (reps, each))
print("idle          p50 %.2f ms  p99 %.2f ms" % (i50, i99))
for name, _ in BOMBS:
    b50, b99 = statistics.median(x[0] for x in bombs[name]), statistics.median(x[1] for x in bombs[name])
    print("%-13s p50 %.2f ms  p99 %.2f ms  ratio to idle %.2f  (target p99 <= 10 ms: %s)" % (name + " bomb", b50, b99, b99 / i99, "met" if b99 <= 10 else "MISSED"))

t = time.monotonic()
body = run({"command": "/usr/bin/python3 -c 'b = b\"x\" * (1 << 30)'", "limits": {"memory_bytes": "100M"}}, {"X-Execd-Exit-Details": "1"})
last = [json.loads(l) for l in body.split("\n") if l.startswith("{")][-1]
print("1 GiB under memory_bytes 100M: exit_reason %s, signal %s, in %.0f ms" % (last.get("exit_reason"), last.get("signal"), (time.monotonic() - t) * 1000))
PY
