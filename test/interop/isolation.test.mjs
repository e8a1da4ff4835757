// Isolated sessions (/v1/isolated, issue #18) through the official JavaScript SDK's
// sandbox.isolation, unchanged: capabilities, create / attach / list / get / delete,
// run with its handlers and exit codes, runOnce, withSession, and a session's
// files object. Plain, and through execd's own /proxy/{port} with a token. Needs
// root and bubblewrap (scripts/setup.sh installs it; CI runs as root).

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { startExecd, connectSandbox, stopAll } from "./execd.mjs";

// EXECD_ROOT: test/deploy runs the suite against execd in a bare root file system,
// which has no bubblewrap.
const bwrap = fs.existsSync(`${process.env.EXECD_ROOT ?? ""}/usr/bin/bwrap`);
const SKIP = (process.getuid?.() !== 0 && "needs root") || (!bwrap && "needs bubblewrap where execd runs");

for (const mode of [{ name: "plain" }, { name: "through /proxy", token: "interop-s3cret", proxy: true }]) {
  describe(`isolated sessions via the JS SDK (${mode.name})`, { skip: SKIP }, () => {
    let execd, lifecycle, sbx, work;

    before(async () => {
      work = fs.mkdtempSync(path.join("/var/tmp", "execd-sdk-isolation-"));
      fs.chmodSync(work, 0o755);
      execd = await startExecd(mode.token, ["isolation"],
        ["-D", `module.isolation.upperRoot=${work}/upper`, "-D", `module.isolation.allowedWritable=${work}`]);
      ({ lifecycle, sbx } = await connectSandbox(execd, mode));
    });

    after(async () => {
      await stopAll({ execd, lifecycle, sbx });
      await new Promise((r) => setTimeout(r, 200));
      fs.rmSync(work, { recursive: true, force: true });
    });

    it("capabilities say what the probe found", async () => {
      const caps = await sbx.isolation.capabilities();
      assert.equal(caps.available, true);
      assert.equal(caps.isolator, "bwrap");
      assert.match(caps.version, /^\d+\.\d+\.\d+$/);
      assert.equal(caps.setpriv_available, true);
      assert.equal(caps.diff_supported, true);
      assert.equal(caps.commit_supported, true);
    });

    it("create, run, attach, list, get and delete", async () => {
      const ws = `${work}/ws`;
      const session = await sbx.isolation.create({ workspace: { path: ws, mode: "rw" }, profile: "strict", uid: 65534, gid: 65534 });
      assert.match(session.sessionId, /^[0-9a-f-]{36}$/);
      assert.ok(fs.statSync(ws).isDirectory());
      fs.chmodSync(ws, 0o777);
      const lines = [];
      let exec = await session.run("echo hello; echo oops >&2; id -u; X=kept; cd /tmp", undefined, {
        onStdout: (m) => lines.push(m.text),
      });
      assert.equal(exec.exitCode, 0);
      assert.deepEqual(lines, ["hello", "oops", "65534"]);
      assert.deepEqual(exec.logs.stdout.map((m) => m.text), ["hello", "oops", "65534"]);
      exec = await session.run("echo $X $PWD; (exit 3)");
      assert.deepEqual(exec.logs.stdout.map((m) => m.text), ["kept /tmp"]);
      assert.equal(exec.exitCode, 3);
      assert.equal(exec.error.name, "ExitError");
      assert.equal(exec.error.value, "3");
      // exit in the session's own shell ends the session (as upstream), and the
      // lines before it arrive once.
      exec = await session.run("echo last; exit 4");
      assert.deepEqual(exec.logs.stdout.map((m) => m.text), ["last"]);
      assert.equal(exec.exitCode, null);
      assert.equal((await session.get()).status, "dead");

      const again = await sbx.isolation.create({ workspace: { path: ws, mode: "rw" } });
      exec = await again.run("echo made > " + ws + "/from-session.txt; echo $E", { envs: { E: "per-run" } });
      assert.deepEqual(exec.logs.stdout.map((m) => m.text), ["per-run"]);
      assert.equal(fs.readFileSync(`${ws}/from-session.txt`, "utf8"), "made\n");   // rw: on the host

      const attached = await sbx.isolation.attach(again.sessionId);
      assert.equal(attached.info.workspace.mode, "rw");
      const listed = await sbx.isolation.list();
      assert.ok(listed.some((s) => s.session_id === session.sessionId));
      const state = await again.get();
      assert.equal(state.status, "active");
      await session.delete();
      await again.delete();
      assert.deepEqual((await sbx.isolation.list()).map((s) => s.session_id).filter((id) => id === again.sessionId), []);
      await assert.rejects(sbx.isolation.attach(again.sessionId), /404/);
    });

    it("a timeout stops the run and keeps the session", async () => {
      await sbx.isolation.withSession({ workspace: { path: `${work}/ws` } }, async (session) => {
        await session.run("Y=before");
        const start = Date.now();
        const exec = await session.run("sleep 30", { timeout_seconds: 1 });
        assert.ok(Date.now() - start < 5000);
        assert.equal(exec.error.name, "RuntimeError");
        assert.equal(exec.exitCode, null);
        const after = await session.run("echo $Y");
        assert.deepEqual(after.logs.stdout.map((m) => m.text), ["before"]);
      });
    });

    it("runOnce in an overlay leaves the host workspace unchanged", async () => {
      const ws = `${work}/overlay`;
      fs.mkdirSync(ws, { recursive: true });
      fs.writeFileSync(`${ws}/keep.txt`, "host");
      const exec = await sbx.isolation.runOnce(`rm ${ws}/keep.txt && echo gone > ${ws}/new.txt && ls ${ws}`, ws);
      assert.equal(exec.exitCode, 0);
      assert.deepEqual(exec.logs.stdout.map((m) => m.text), ["new.txt"]);
      assert.equal(fs.readFileSync(`${ws}/keep.txt`, "utf8"), "host");
      assert.equal(fs.existsSync(`${ws}/new.txt`), false);
      assert.deepEqual(fs.readdirSync(`${work}/upper`), []);   // its overlay went with it
      const ro = await sbx.isolation.runOnce(`echo x > ${ws}/w.txt`, ws, { workspaceMode: "ro" });
      assert.notEqual(ro.exitCode, 0);
    });

    it("a session's files object works inside its workspace view", async () => {
      const ws = `${work}/files`;
      fs.mkdirSync(`${ws}/src`, { recursive: true });
      fs.writeFileSync(`${ws}/src/a.txt`, "alpha beta alpha\nline2\nline3\n");
      await sbx.isolation.withSession({ workspace: { path: ws } }, async (session) => {
        const f = session.files;
        await f.writeFiles([{ path: `${ws}/out/new.txt`, data: "written" }, { path: "rel.txt", data: "relative", mode: 600 }]);
        assert.equal(fs.existsSync(`${ws}/out`), false);   // the overlay's, not the host's
        const seen = await session.run(`cat ${ws}/out/new.txt`);
        assert.deepEqual(seen.logs.stdout.map((m) => m.text), ["written"]);
        assert.equal(await f.readFile("out/new.txt"), "written");
        assert.equal(await f.readFile(`${ws}/src/a.txt`, { offset: 2, limit: 1 }), "line2");
        assert.deepEqual(Buffer.from(await f.readBytes("src/a.txt", { range: "bytes=0-4" })), Buffer.from("alpha"));
        const chunks = [];
        for await (const c of f.readBytesStream("out/new.txt")) chunks.push(Buffer.from(c));
        assert.equal(Buffer.concat(chunks).toString(), "written");

        const info = await f.getFileInfo(["rel.txt", "src"]);
        assert.equal(info["rel.txt"].type, "file");
        assert.equal(info["rel.txt"].mode, 600);
        assert.equal(info["rel.txt"].owner, "");
        assert.equal(info["rel.txt"].createdAt.toISOString(), "0001-01-01T00:00:00.000Z");
        assert.equal(info.src.type, "directory");

        const found = await f.search({ path: ws, pattern: "*.txt" });
        assert.deepEqual(found.map((e) => e.path), ["out/new.txt", "rel.txt", "src/a.txt"]);
        const listed = await f.listDirectory({ path: "src", depth: 1 });
        assert.deepEqual(listed.map((e) => e.path), ["src/a.txt"]);

        await f.replaceContents([{ path: "src/a.txt", oldContent: "alpha", newContent: "gamma" }]);
        assert.deepEqual(await f.replaceContentsDetailed([{ path: "src/a.txt", oldContent: "gamma", newContent: "g" }]), []);   // no verbose: []
        assert.match(await f.readFile("src/a.txt"), /^g beta g\n/);
        await f.setPermissions([{ path: "rel.txt", mode: 644 }]);
        assert.equal((await f.getFileInfo(["rel.txt"]))["rel.txt"].mode, 644);
        await f.moveFiles([{ src: "rel.txt", dest: "moved/rel.txt" }]);
        await f.createDirectories([{ path: "made/deep" }]);
        assert.equal((await f.getFileInfo(["made/deep"]))["made/deep"].mode, 755);
        await f.deleteFiles(["moved/rel.txt"]);
        await f.deleteDirectories(["made"]);
        const after = await session.run(`ls ${ws}`);
        assert.deepEqual(after.logs.stdout.map((m) => m.text), ["moved", "out", "src"]);
        // The host's copy never changed.
        assert.equal(fs.readFileSync(`${ws}/src/a.txt`, "utf8"), "alpha beta alpha\nline2\nline3\n");
        await assert.rejects(f.readFile("missing.txt"), (e) => e.statusCode === 404);
        await assert.rejects(f.deleteFiles(["missing.txt"]), (e) => e.statusCode === 500);
      });
    });
  });
}
