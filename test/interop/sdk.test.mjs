// execd through the official OpenSandbox JavaScript SDK: a fresh execd per mode
// (no token, a token, and through execd's own /proxy/{port} as in Docker mode),
// reached via Sandbox.connect() and a minimal lifecycle server.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startExecd, connectSandbox, stopAll } from "./execd.mjs";

const sha256 = (data) => createHash("sha256").update(data).digest("hex");
const text = (messages) => messages.map((m) => m.text).join("");

for (const mode of [{ name: "plain" }, { name: "access token", token: "interop-s3cret" }, { name: "through /proxy", token: "interop-s3cret", proxy: true }]) {
  describe(`execd via the JS SDK (${mode.name})`, () => {
    let execd, lifecycle, sbx, work;

    before(async () => {
      execd = await startExecd(mode.token);
      ({ lifecycle, sbx } = await connectSandbox(execd, mode));
      work = fs.mkdtempSync(path.join(os.tmpdir(), "execd-sdk-"));
    });

    after(async () => {
      await stopAll({ execd, lifecycle, sbx });
      fs.rmSync(work, { recursive: true, force: true });
    });

    it("health", async () => {
      assert.equal(await sbx.health.ping(), true);
    });

    it("commands: streamed output, exit codes, cwd, envs", async () => {
      const seen = [];
      let r = await sbx.commands.run("echo hello; echo oops >&2", {}, { onStdout: (m) => seen.push(m.text) });
      assert.equal(text(r.logs.stdout), "hello");
      assert.equal(text(r.logs.stderr), "oops");
      assert.equal(r.exitCode, 0);
      assert.deepEqual(seen, ["hello"]);
      r = await sbx.commands.run("exit 3");
      assert.equal(r.exitCode, 3);
      r = await sbx.commands.run("pwd", { workingDirectory: work });
      assert.equal(text(r.logs.stdout), work);
      r = await sbx.commands.run("echo $GREETING", { envs: { GREETING: "from the sdk" } });
      assert.equal(text(r.logs.stdout), "from the sdk");
    });

    it("commands: timeout", async () => {
      const start = Date.now();
      const r = await sbx.commands.run("sleep 30", { timeoutSeconds: 1 });
      assert.ok(Date.now() - start < 10000);
      assert.notEqual(r.exitCode, 0);
      assert.ok(r.error);
    });

    it("commands: background, status, logs, interrupt", async () => {
      let r = await sbx.commands.run("echo first; sleep 0.3; echo second", { background: true });
      assert.ok(r.id);
      let status;
      for (let i = 0; i < 100; ++i) {
        status = await sbx.commands.getCommandStatus(r.id);
        if (!status.running) break;
        await new Promise((res) => setTimeout(res, 100));
      }
      assert.equal(status.running, false);
      assert.equal(status.exitCode, 0);
      const logs = await sbx.commands.getBackgroundCommandLogs(r.id, 0);
      assert.equal(logs.content, "first\nsecond\n");
      r = await sbx.commands.run("sleep 30", { background: true });
      await sbx.commands.interrupt(r.id);
      status = await sbx.commands.getCommandStatus(r.id);
      assert.equal(status.running, false);
    });

    it("bash sessions keep state", async () => {
      const session = await sbx.commands.createSession({ workingDirectory: work });
      await sbx.commands.runInSession(session, "export KEPT=42; cd /tmp");
      const r = await sbx.commands.runInSession(session, "echo $KEPT $(pwd)");
      assert.equal(text(r.logs.stdout).trim(), "42 /tmp");
      await sbx.commands.deleteSession(session);
    });

    it("bash sessions: a timeout stops the whole command line and keeps the session", async () => {
      const session = await sbx.commands.createSession({ workingDirectory: work });
      await sbx.commands.runInSession(session, "export KEPT=42; cd /tmp");
      const seen = [];
      const start = Date.now();
      const r = await sbx.commands.runInSession(session, "echo started; sleep 5; echo not-reached\nfor i in 1 2; do echo loop-$i; done",
        { timeoutSeconds: 1 }, { onStdout: (m) => seen.push(m.text) });
      assert.ok(Date.now() - start < 3000);
      assert.deepEqual(seen, ["started"]);
      assert.equal(text(r.logs.stdout), "started");
      const after = await sbx.commands.runInSession(session, "echo $KEPT $(pwd)");
      assert.equal(text(after.logs.stdout).trim(), "42 /tmp");
      assert.equal(text(after.logs.stderr), "");
      await sbx.commands.deleteSession(session);
    });

    it("files: write, read, info, list, mkdir, move, search, replace, permissions, delete", async () => {
      await sbx.files.createDirectories([{ path: `${work}/sub/deep`, mode: 755 }]);
      await sbx.files.writeFiles([
        { path: `${work}/sub/a.txt`, data: "hello execd\n" },
        { path: `${work}/sub/b.bin`, data: new Uint8Array([0, 1, 2, 255]) },
      ]);
      assert.equal(await sbx.files.readFile(`${work}/sub/a.txt`), "hello execd\n");
      assert.deepEqual(Array.from(await sbx.files.readBytes(`${work}/sub/b.bin`)), [0, 1, 2, 255]);
      const info = await sbx.files.getFileInfo([`${work}/sub/a.txt`]);
      assert.equal(info[`${work}/sub/a.txt`].size, 12);
      const listing = await sbx.files.listDirectory({ path: `${work}/sub`, depth: 1 });
      assert.deepEqual(listing.map((f) => path.basename(f.path)), ["a.txt", "b.bin", "deep"]);
      await sbx.files.moveFiles([{ src: `${work}/sub/a.txt`, dest: `${work}/sub/deep/a.txt` }]);
      const found = await sbx.files.search({ path: work, pattern: "*.txt" });
      assert.deepEqual(found.map((f) => f.path), [`${work}/sub/deep/a.txt`]);
      const replaced = await sbx.files.replaceContentsDetailed([{ path: `${work}/sub/deep/a.txt`, oldContent: "execd", newContent: "sdk" }]);
      assert.equal(replaced[0].replacedCount, 1);
      assert.equal(await sbx.files.readFile(`${work}/sub/deep/a.txt`), "hello sdk\n");
      await sbx.files.setPermissions([{ path: `${work}/sub/deep/a.txt`, mode: 600 }]);
      assert.equal((await sbx.files.getFileInfo([`${work}/sub/deep/a.txt`]))[`${work}/sub/deep/a.txt`].mode, 600);
      await sbx.files.deleteFiles([`${work}/sub/deep/a.txt`]);
      await assert.rejects(sbx.files.getFileInfo([`${work}/sub/deep/a.txt`]));
      await sbx.files.deleteDirectories([`${work}/sub`]);
      assert.equal(fs.existsSync(`${work}/sub`), false);
    });

    it("files: a multi-MB binary round trip", async () => {
      const data = randomBytes(6 * 1024 * 1024 + 123);
      await sbx.files.writeFiles([{ path: `${work}/big.bin`, data }]);
      const back = await sbx.files.readBytes(`${work}/big.bin`);
      assert.equal(sha256(Buffer.from(back)), sha256(data));
      const part = await sbx.files.readBytes(`${work}/big.bin`, { range: "bytes=0-9" });
      assert.deepEqual(Buffer.from(part), data.subarray(0, 10));
    });

    it("metrics", async () => {
      const m = await sbx.getMetrics ? await sbx.getMetrics() : await sbx.metrics.getMetrics();
      assert.ok(m.cpuCount >= 1);
      assert.ok(m.cpuUsedPercentage >= 0 && m.cpuUsedPercentage <= 100);
      assert.ok(m.memoryTotalMiB > 0);
      assert.ok(Number.isInteger(m.timestamp));
    });

    it("/code without a language, with plain fetch and the SDK's headers", async () => {
      const base = mode.proxy ? `http://127.0.0.1:${execd.port}/proxy/${execd.port}` : `http://127.0.0.1:${execd.port}`;
      const headers = { "Content-Type": "application/json", ...(mode.token ? { "X-EXECD-ACCESS-TOKEN": mode.token } : {}) };
      const res = await fetch(`${base}/code`, { method: "POST", headers, body: JSON.stringify({ code: "echo via-code" }) });
      assert.equal(res.status, 200);
      const events = (await res.text()).split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
      assert.equal(events[0].type, "init");
      assert.ok(events.some((e) => e.type === "stdout" && e.text === "via-code"));
      assert.equal(events.at(-1).type, "execution_complete");
      if (mode.token) {
        const denied = await fetch(`${base}/code`, { method: "POST", body: JSON.stringify({ code: "echo x" }) });
        assert.equal(denied.status, 401);
      }
    });
  });
}
