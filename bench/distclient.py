#!/usr/bin/python3
"""Start-up of an execd binary for bench/dist.sh (Python from Debian, standard library only).

  distclient.py start BINARY ROUNDS [fresh]
      median time from exec to the first /ping answered, over ROUNDS starts, and the
      RSS then; with "fresh", every start first removes dist/execd's unpacked bundles
      (/var/lib/execd/.execd-*, /tmp/.execd-*, /dev/shm/.execd-*), so each one unpacks
"""
import glob, shutil, socket, statistics, subprocess, sys, time, urllib.request


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start(binary):
    port = free_port()
    t0 = time.perf_counter()
    p = subprocess.Popen([binary, "--port", str(port), "-D", "execd.logLevel=3"], stderr=subprocess.DEVNULL)
    deadline = t0 + 10
    while True:
        try:
            urllib.request.urlopen("http://127.0.0.1:%d/ping" % port, timeout=1).read()
            break
        except Exception:
            if time.perf_counter() > deadline:
                p.kill()
                sys.exit("%s did not answer /ping within 10 s" % binary)
            time.sleep(0.001)
    took = (time.perf_counter() - t0) * 1000
    rss = int([l for l in open("/proc/%d/status" % p.pid) if l.startswith("VmRSS")][0].split()[1])
    p.terminate()
    p.wait()
    return took, rss


if __name__ == "__main__":
    binary, rounds = sys.argv[2], int(sys.argv[3])
    fresh = len(sys.argv) > 4 and sys.argv[4] == "fresh"
    results = []
    for _ in range(rounds):
        if fresh:
            for d in glob.glob("/var/lib/execd/.execd-" + "?" * 16) + glob.glob("/tmp/.execd-" + "?" * 16) + glob.glob("/dev/shm/.execd-" + "?" * 16):
                shutil.rmtree(d)
        results.append(start(binary))
    print("%s%s: start to /ping p50 %.1f ms (%d starts), RSS then %d kB" % (
        binary, " (unpacking)" if fresh else "", statistics.median(r[0] for r in results), rounds,
        statistics.median(r[1] for r in results)))
