#!/usr/bin/python3
"""Abuse scenarios against one running execd (loopback only, bounded in count and time).

  abuseclient.py crowd PORT PID TOKEN IDLE LORIS
      opens IDLE idle keep-alive connections (each served one /ping first) and
      LORIS slow-loris connections (a head that never ends, one byte every 5 s),
      spread over source addresses 127.0.0.2.. (2,000 per address), then measures
      /ping on new connections and an authenticated /command's time to its first
      event, and execd's RSS, threads and descriptors.
  abuseclient.py abandon PORT PID TOKEN
      starts `yes` through /command, disconnects, and measures execd's CPU for 10 s.
  abuseclient.py stall PORT PID TOKEN SECONDS
      starts `yes` through /command, stops reading, and reports when execd drops
      the connection (at most SECONDS).
"""
import os, resource, select, socket, sys, time

PER_ADDRESS = 2000


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def proc(pid):
    status = open('/proc/%d/status' % pid).read().split('\n')
    fields = dict(line.split(':', 1) for line in status if ':' in line)
    rss = int(fields['VmRSS'].split()[0]) / 1024.0
    threads = int(fields['Threads'])
    fds = len(os.listdir('/proc/%d/fd' % pid))
    return rss, threads, fds


def cpu_seconds(pid):
    parts = open('/proc/%d/stat' % pid).read().rsplit(')', 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf('SC_CLK_TCK')


def connect(port, index, timeout=10.0):
    source = '127.0.0.%d' % (2 + index // PER_ADDRESS)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((source, 0))
    s.connect(('127.0.0.1', port))
    return s


def head(token, method, path, length=None):
    h = '%s %s HTTP/1.1\r\nHost: x\r\n' % (method, path)
    if token:
        h += 'X-EXECD-ACCESS-TOKEN: %s\r\n' % token
    if length is not None:
        h += 'Content-Type: application/json\r\nContent-Length: %d\r\n' % length
    return h + '\r\n'


def read_response(s):
    data = b''
    while b'\r\n\r\n' not in data:
        chunk = s.recv(4096)
        if not chunk:
            raise IOError('closed')
        data += chunk
    return data


def ping_once(port, token, timeout=5.0):
    t0 = time.perf_counter()
    try:
        s = socket.create_connection(('127.0.0.1', port), timeout=timeout)
        s.sendall(head(token, 'GET', '/ping').encode())
        data = read_response(s)
        s.close()
        if not data.startswith(b'HTTP/1.1 200'):
            return None
    except (OSError, IOError):
        return None
    return (time.perf_counter() - t0) * 1000.0


def command_start(port, token, timeout=10.0):
    body = b'{"command":"true"}'
    t0 = time.perf_counter()
    try:
        s = socket.create_connection(('127.0.0.1', port), timeout=timeout)
        s.sendall(head(token, 'POST', '/command', len(body)).encode() + body)
        data = b''
        while b'"type":"init"' not in data:
            chunk = s.recv(65536)
            if not chunk:
                return None
            data += chunk
        s.close()
    except OSError:
        return None
    return (time.perf_counter() - t0) * 1000.0


def percentile(values, p):
    if not values:
        return float('nan')
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100.0 * (len(values) - 1))))]


def crowd(port, pid, token, idle, loris):
    raise_nofile()
    held = []
    t0 = time.time()
    failed = 0
    for i in range(idle):
        try:
            s = connect(port, i)
            s.sendall(head(token, 'GET', '/ping').encode())
            read_response(s)
            held.append(s)
        except (OSError, IOError):
            failed += 1
    opened_idle = len(held)
    for i in range(loris):
        try:
            s = connect(port, idle + i)
            s.sendall(b'GET /ping HTTP/1.1\r\nHost: x\r\nX-Slow: ')
            held.append(s)
        except OSError:
            failed += 1
    print('opened %d idle + %d slow-loris connections in %.1f s (%d failed)'
          % (opened_idle, len(held) - opened_idle, time.time() - t0, failed))
    pings, misses, starts = [], 0, []
    deadline = time.time() + 20
    last_drip = time.time()
    while time.time() < deadline and len(pings) + misses < 200:
        if time.time() - last_drip > 5:
            for s in held[opened_idle:]:
                try:
                    s.send(b'a')
                except OSError:
                    pass
            last_drip = time.time()
        ms = ping_once(port, token)
        if ms is None:
            misses += 1
        else:
            pings.append(ms)
        if len(pings) % 20 == 0:
            c = command_start(port, token)
            if c is not None:
                starts.append(c)
    rss, threads, fds = proc(pid)
    alive = 0
    poller = select.poll()
    for s in held:
        poller.register(s, select.POLLIN)
    readable = set(fd for fd, _ in poller.poll(0))
    for s in held:
        try:
            if s.fileno() not in readable or s.recv(1, socket.MSG_PEEK):
                alive += 1
        except OSError:
            pass
    print('ping on a new connection: n=%d p50 %.2f ms p99 %.2f ms max %.2f ms, %d failed or >5 s'
          % (len(pings), percentile(pings, 50), percentile(pings, 99), max(pings) if pings else float('nan'), misses))
    print('authenticated /command to its first event: n=%d p50 %.2f ms max %.2f ms'
          % (len(starts), percentile(starts, 50), max(starts) if starts else float('nan')))
    print('execd: RSS %.1f MB, %d threads, %d fds; %d of %d held connections still open'
          % (rss, threads, fds, alive, len(held)))
    for s in held:
        s.close()


def abandon(port, pid, token):
    body = b'{"command":"yes"}'
    s = socket.create_connection(('127.0.0.1', port), timeout=10)
    s.sendall(head(token, 'POST', '/command', len(body)).encode() + body)
    s.recv(4096)
    s.close()
    time.sleep(1)
    c0, t0 = cpu_seconds(pid), time.time()
    time.sleep(10)
    c1, t1 = cpu_seconds(pid), time.time()
    print('abandoned `yes` stream: execd used %.0f %% of a core over %.0f s' % (100.0 * (c1 - c0) / (t1 - t0), t1 - t0))


def stall(port, pid, token, seconds):
    body = b'{"command":"yes"}'
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(10)
    s.connect(('127.0.0.1', port))
    s.sendall(head(token, 'POST', '/command', len(body)).encode() + body)
    s.recv(1024)
    t0 = time.time()
    server_end = '%04X' % port
    client_end = '%04X' % s.getsockname()[1]
    while time.time() - t0 < seconds:
        # Not reading: only look whether execd's end of the connection is still
        # established (a client that takes nothing may never see our reset).
        established = False
        for line in open('/proc/net/tcp').read().split('\n')[1:]:
            f = line.split()
            if len(f) > 3 and f[1].endswith(':' + server_end) and f[2].endswith(':' + client_end):
                established = f[3] == '01'
        if not established:
            print('a client that stopped reading was dropped after %.1f s' % (time.time() - t0))
            s.close()
            return
        time.sleep(0.5)
    print('a client that stopped reading was still connected after %.0f s' % seconds)
    s.close()


if __name__ == '__main__':
    mode, port, pid, token = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    if mode == 'crowd':
        crowd(port, pid, token, int(sys.argv[5]), int(sys.argv[6]))
    elif mode == 'abandon':
        abandon(port, pid, token)
    elif mode == 'stall':
        stall(port, pid, token, float(sys.argv[5]))
