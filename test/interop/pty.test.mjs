// The pty module from a JavaScript client, as a web terminal uses it: POST /pty,
// then a WebSocket on /pty/{id}/ws (undici's, which the SDK already brings),
// directly and through execd's own /proxy/{port}. The SDK has no PTY API, so
// this speaks the wire protocol: binary frames 0x00 + bytes in, 0x01/0x02 + bytes
// out, JSON text frames for control.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { WebSocket } from "undici";
import { startExecd, stopAll } from "./execd.mjs";

class Terminal {
  constructor(url, headers) {
    this.frames = [];
    this.output = "";
    this.waiters = [];
    this.ws = new WebSocket(url, { headers });
    this.ws.binaryType = "arraybuffer";
    this.ws.onmessage = (e) => {
      if (typeof e.data === "string") this.frames.push(JSON.parse(e.data));
      else {
        const bytes = Buffer.from(e.data);
        if (bytes[0] === 0x01) this.output += bytes.subarray(1).toString("utf8");
      }
      this.poke();
    };
    this.closed = new Promise((resolve) => { this.ws.onclose = (e) => { resolve(e.code); this.poke(); }; });
    this.opened = new Promise((resolve, reject) => { this.ws.onopen = resolve; this.ws.onerror = reject; });
  }

  poke() {
    for (const w of this.waiters.splice(0)) w();
  }

  async until(predicate, what, ms = 10000) {
    const deadline = Date.now() + ms;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`no ${what} within ${ms} ms; output so far: ${JSON.stringify(this.output)}`);
      await new Promise((resolve) => { this.waiters.push(resolve); setTimeout(resolve, 100); });
    }
  }

  type(text) {
    this.ws.send(Buffer.concat([Buffer.from([0x00]), Buffer.from(text, "utf8")]));
  }
}

for (const mode of [{ name: "plain" }, { name: "access token", token: "interop-s3cret" }, { name: "through /proxy", token: "interop-s3cret", proxy: true }]) {
  describe(`pty over WebSocket (${mode.name})`, () => {
    let execd, base, headers;

    before(async () => {
      execd = await startExecd(mode.token, ["pty"]);
      base = `127.0.0.1:${execd.port}` + (mode.proxy ? `/proxy/${execd.port}` : "");
      headers = mode.token ? { "X-EXECD-ACCESS-TOKEN": mode.token } : {};
    });

    after(async () => {
      await stopAll({ execd });
    });

    it("a shell: connected, echo, resize, exit status, close 1000", async () => {
      const res = await fetch(`http://${base}/pty`, { method: "POST", headers: { ...headers, "Content-Type": "application/json" }, body: "{}" });
      assert.equal(res.status, 201);
      const { session_id: id } = await res.json();
      assert.match(id, /^[0-9a-f-]+$/);

      const t = new Terminal(`ws://${base}/pty/${id}/ws`, headers);
      await t.opened;
      await t.until(() => t.frames.some((f) => f.type === "connected"), "connected frame");
      assert.deepEqual(t.frames.find((f) => f.type === "connected"), { type: "connected", session_id: id, mode: "pty" });
      t.type("echo pty-$((6*7))\n");
      await t.until(() => t.output.includes("pty-42\r\n"), "echo");
      t.ws.send(JSON.stringify({ type: "resize", cols: 100, rows: 30 }));
      t.type("stty size\n");
      await t.until(() => t.output.includes("30 100\r\n"), "resized terminal");
      t.type("exit 3\n");
      await t.until(() => t.frames.some((f) => f.type === "exit"), "exit frame");
      assert.deepEqual(t.frames.find((f) => f.type === "exit"), { type: "exit", exit_code: 3 });
      assert.equal(await t.closed, 1000);

      const status = await (await fetch(`http://${base}/pty/${id}`, { headers })).json();
      assert.equal(status.running, false);
      assert.ok(status.output_offset > 0);
      const del = await fetch(`http://${base}/pty/${id}`, { method: "DELETE", headers });
      assert.equal(del.status, 200);
      assert.equal(del.headers.get("content-length"), "0");
    });

    it("without the token the session and the upgrade are refused", { skip: !mode.token && "no token in this mode" }, async () => {
      const res = await fetch(`http://${base}/pty`, { method: "POST", body: "{}" });
      assert.equal(res.status, 401);
      const created = await fetch(`http://${base}/pty`, { method: "POST", headers, body: "{}" });
      const { session_id: id } = await created.json();
      // The same upgrade with the token opens (the first test); without it, not.
      const t = new Terminal(`ws://${base}/pty/${id}/ws`, {});
      await assert.rejects(t.opened);
      const ok = new Terminal(`ws://${base}/pty/${id}/ws`, headers);
      await ok.opened;
      ok.ws.close();
    });
  });
}
