#!/usr/bin/python3
"""PTY echo over WebSocket, for deploy.Arm64Qemu (standard library only).

  wsecho.py PORT

Creates a PTY session (POST /pty), connects to /pty/{id}/ws, types a line on the
stdin channel (binary frame, first byte 0x00) and waits for its output on the
stdout channel (first byte 0x01). Exits 0 when the echo came back.
"""
import base64, http.client, json, os, socket, struct, sys, time

port = int(sys.argv[1])
TIMEOUT = 60   # under qemu a bash start takes a while

conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
conn.request("POST", "/pty", body="{}", headers={"Content-Type": "application/json"})
reply = conn.getresponse()
body = reply.read()
if reply.status != 201:
    sys.exit("POST /pty: %d %s" % (reply.status, body))
sid = json.loads(body)["session_id"]

sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
key = base64.b64encode(os.urandom(16)).decode()
sock.sendall(("GET /pty/%s/ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (sid, port, key)).encode())
buf = b""
while b"\r\n\r\n" not in buf:
    chunk = sock.recv(4096)
    if not chunk:
        sys.exit("websocket: connection closed during the handshake")
    buf += chunk
head, buf = buf.split(b"\r\n\r\n", 1)
if not head.startswith(b"HTTP/1.1 101"):
    sys.exit("websocket handshake: %s" % head.decode(errors="replace"))


def send(op, payload):
    mask = os.urandom(4)
    n = len(payload)
    header = bytes([0x80 | op]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack(">H", n))
    sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))


def read(n):
    global buf
    while len(buf) < n:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError("websocket closed")
        buf += chunk
    data, buf = buf[:n], buf[n:]
    return data


def frame():
    b0, b1 = read(2)
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack(">H", read(2))[0]
    elif n == 127:
        n = struct.unpack(">Q", read(8))[0]
    mask = read(4) if b1 & 0x80 else None
    data = read(n)
    if mask:
        data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
    return b0 & 0x0F, data


send(0x2, b"\x00echo pty-$((6 * 7))-$(uname -m)\n")
output = b""
deadline = time.monotonic() + TIMEOUT
while time.monotonic() < deadline:
    op, data = frame()
    if op == 0x9:
        send(0xA, data)
    elif op == 0x8:
        break
    elif op == 0x2 and data[:1] == b"\x01":
        output += data[1:]
        if b"pty-42-aarch64" in output:
            send(0x8, struct.pack(">H", 1000))
            print("pty echo: ok")
            sys.exit(0)
sys.exit("pty echo: no pty-42-aarch64 in %r" % output[-500:])
