// The official JS SDK, which sends none of the headers of execd's own features
// (X-Execd-Resumable, X-Execd-Exit-Details, Idempotency-Key, Last-Event-ID),
// gets the stream bytes it always got: recorded off the wire by a TCP relay
// between the SDK and execd, chunk framing included.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { startExecd, connectSandbox, stopAll } from "./execd.mjs";

function startRecorder(targetPort) {
  // Every connection's bytes, both ways.
  const connections = [];
  const server = net.createServer((client) => {
    const record = { up: [], down: [] };
    connections.push(record);
    const upstream = net.connect(targetPort, "127.0.0.1");
    client.on("data", (b) => { record.up.push(b); upstream.write(b); });
    upstream.on("data", (b) => { record.down.push(b); client.write(b); });
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, port: server.address().port, connections })));
}

// The SSE response of the POST /command in a connection's recording: its head and its chunks.
function commandExchange(recorder) {
  for (const c of recorder.connections) {
    const up = Buffer.concat(c.up).toString("latin1");
    const down = Buffer.concat(c.down).toString("latin1");
    const at = down.indexOf("Content-Type: text/event-stream");
    if (!up.includes("POST /command ") || at < 0) continue;
    const start = down.lastIndexOf("HTTP/1.1 ", at);
    const headEnd = down.indexOf("\r\n\r\n", start);
    const head = down.slice(start, headEnd);
    const chunks = [];
    let pos = headEnd + 4;
    for (;;) {
      const eol = down.indexOf("\r\n", pos);
      const size = parseInt(down.slice(pos, eol), 16);
      if (size === 0) break;
      chunks.push({ sizeText: down.slice(pos, eol), data: down.slice(eol + 2, eol + 2 + size) });
      assert.equal(down.slice(eol + 2 + size, eol + 4 + size), "\r\n");
      pos = eol + 4 + size;
    }
    const request = up.slice(up.indexOf("POST /command "), up.indexOf("\r\n\r\n", up.indexOf("POST /command ")));
    return { request, head, chunks };
  }
  assert.fail("no POST /command stream was recorded");
}

describe("execd's own features leave the SDK's bytes alone", () => {
  let execd, recorder, lifecycle, sbx;

  before(async () => {
    execd = await startExecd();
    recorder = await startRecorder(execd.port);
    ({ lifecycle, sbx } = await connectSandbox({ port: recorder.port }));
  });

  after(async () => {
    await stopAll({ execd, lifecycle, sbx });
    recorder?.server.close();
  });

  it("a command's stream, byte for byte", async () => {
    const r = await sbx.commands.run("echo hello");
    assert.equal(r.exitCode, 0);
    const { request, head, chunks } = commandExchange(recorder);
    for (const h of ["x-execd-resumable", "x-execd-exit-details", "idempotency-key", "last-event-id"])
      assert.ok(!request.toLowerCase().includes(`\r\n${h}:`), `the SDK sent ${h}`);
    const fields = head.split("\r\n").slice(1).map((l) => l.split(":")[0]).filter((n) => n !== "Date");
    assert.deepEqual(fields, ["Connection", "Content-Type", "Cache-Control", "X-Accel-Buffering", "Transfer-Encoding"]);
    assert.ok(head.startsWith("HTTP/1.1 200 OK\r\n"));
    assert.ok(head.includes("\r\nConnection: keep-alive\r\n") && head.includes("\r\nTransfer-Encoding: chunked"));
    // One event per chunk, in upstream's field order, no id lines, no extra fields.
    const expected = [
      /^\{"type":"init","text":"[0-9a-f]{32}","timestamp":\d{13}\}\n\n$/,
      /^\{"type":"ping","text":"pong","timestamp":\d{13}\}\n\n$/,
      /^\{"type":"stdout","text":"hello","timestamp":\d{13}\}\n\n$/,
      /^\{"type":"execution_complete","execution_time":\d+,"timestamp":\d{13}\}\n\n$/,
    ];
    assert.equal(chunks.length, expected.length, JSON.stringify(chunks));
    chunks.forEach((c, i) => {
      assert.match(c.data, expected[i]);
      assert.equal(c.sizeText, c.data.length.toString(16).toUpperCase());
    });
  });
});
