// The newer files behaviour through the official JavaScript SDK (issue #14 items 5
// and 6): readFile / readBytes / readBytesStream with {offset, limit} (the SDK
// appends them to /files/download as they are, 0 and 1.5 included), and what
// setPermissions, createDirectories and writeFiles' owner/group/mode do to the
// file system. Plain, and through execd's own /proxy/{port} with a token.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startExecd, connectSandbox, stopAll } from "./execd.mjs";

const root = process.getuid?.() === 0;
const NEEDS_ROOT = !root && "chown needs root";

async function rejectsWith(promise, status, check) {
  await assert.rejects(promise, (e) => {
    assert.equal(e.statusCode, status, String(e.rawBody ?? e.message));
    check(e);
    return true;
  });
}

const body = (e) => JSON.parse(typeof e.rawBody === "string" ? e.rawBody : JSON.stringify(e.rawBody));
const owner = (p) => {
  const st = fs.statSync(p);
  return `${st.uid}:${st.gid} ${(st.mode & 0o777).toString(8)}`;
};

for (const mode of [{ name: "plain" }, { name: "through /proxy", token: "interop-s3cret", proxy: true }]) {
  describe(`files via the JS SDK (${mode.name})`, () => {
    let execd, lifecycle, sbx, work, fresh;

    before(async () => {
      execd = await startExecd(mode.token);
      ({ lifecycle, sbx } = await connectSandbox(execd, mode));
      work = fs.mkdtempSync(path.join(os.tmpdir(), "execd-sdk-files-"));
      // What a directory made with 0777 gets here (execd inherits our umask).
      fs.mkdirSync(`${work}/probe`);
      fresh = (fs.statSync(`${work}/probe`).mode & 0o777).toString(8);
    });

    after(async () => {
      await stopAll({ execd, lifecycle, sbx });
      fs.rmSync(work, { recursive: true, force: true });
    });

    it("readFile and readBytes with offset and limit give a window of lines", async () => {
      const f = `${work}/lines.txt`;
      fs.writeFileSync(f, "line1\nline2\r\r\nline3");
      assert.equal(await sbx.files.readFile(f, { offset: 2, limit: 2 }), "line2\nline3");
      assert.equal(await sbx.files.readFile(f, { limit: 2 }), "line1\nline2");
      assert.equal(await sbx.files.readFile(f, { offset: 3 }), "line3");
      assert.equal(await sbx.files.readFile(f, { offset: 100 }), "");
      assert.deepEqual(Buffer.from(await sbx.files.readBytes(f, { offset: 2, limit: 1 })), Buffer.from("line2"));
      assert.equal(await sbx.files.readFile(f), "line1\nline2\r\r\nline3");   // no window: the bytes as they are
      assert.equal(await sbx.files.readFile(work, { offset: 1 }), "");        // a directory reads as nothing
      // A long window streams (chunked, through the proxy too).
      const rows = Array.from({ length: 100000 }, (_, i) => `row ${i}`);
      fs.writeFileSync(`${work}/rows.txt`, rows.join("\n") + "\n");
      assert.equal(await sbx.files.readFile(`${work}/rows.txt`, { offset: 50001 }), rows.slice(50000).join("\n"));
      const chunks = [];
      for await (const c of sbx.files.readBytesStream(`${work}/rows.txt`, { offset: 11, limit: 20000 })) chunks.push(Buffer.from(c));
      assert.equal(Buffer.concat(chunks).toString(), rows.slice(10, 20010).join("\n"));
    });

    it("line windows: values the server refuses, and Range with a window", async () => {
      const f = `${work}/lines.txt`;
      const invalid = (message) => (e) => assert.deepEqual(body(e), { code: "INVALID_REQUEST_BODY", message });
      await rejectsWith(sbx.files.readFile(f, { offset: 0 }), 400, invalid("invalid query parameter 'offset': 0"));
      await rejectsWith(sbx.files.readFile(f, { offset: -1 }), 400, invalid("invalid query parameter 'offset': -1"));
      await rejectsWith(sbx.files.readFile(f, { offset: 1.5 }), 400, invalid("invalid query parameter 'offset': 1.5"));
      await rejectsWith(sbx.files.readBytes(f, { offset: 1, limit: 0 }), 400, invalid("invalid query parameter 'limit': 0"));
      const exclusive = invalid("line-based reading (offset/limit) and byte range (Range header) are mutually exclusive");
      await rejectsWith(sbx.files.readFile(`${work}/missing`, { offset: 1, range: "bytes=0-1" }), 400, exclusive);
      await rejectsWith(sbx.files.readBytes(f, { limit: 1, range: "bytes=0-1" }), 400, exclusive);
      await rejectsWith(sbx.files.readFile(`${work}/missing`, { offset: 1 }), 404, (e) =>
        assert.deepEqual(body(e), { code: "FILE_NOT_FOUND", message: `file not found. open ${work}/missing: no such file or directory` }));
      assert.deepEqual(Buffer.from(await sbx.files.readBytes(f, { range: "bytes=0-4" })), Buffer.from("line1"));   // Range alone still works
    });

    it("setPermissions: the mode alone keeps the owner; unknown names fail; mode 0 on a missing file is fine", { skip: NEEDS_ROOT }, async () => {
      const p = `${work}/perm.txt`;
      fs.writeFileSync(p, "x");
      fs.chownSync(p, 65534, 65534);
      await sbx.files.setPermissions([{ path: p, mode: 640 }]);
      assert.equal(owner(p), "65534:65534 640");
      await sbx.files.setPermissions([{ path: `${work}/missing`, mode: 0 }]);
      await rejectsWith(sbx.files.setPermissions([{ path: p, mode: 600, owner: "nosuchuser" }]), 500, (e) => {
        assert.equal(e.error.code, "RUNTIME_ERROR");
        assert.equal(e.message, `error changing permissions for ${p}. failed to lookup user nosuchuser: user: unknown user nosuchuser`);
      });
      assert.equal(owner(p), "65534:65534 600");   // the mode went first, as upstream
      await rejectsWith(sbx.files.setPermissions([{ path: p, mode: 600, group: "nosuchgroup" }]), 500, (e) =>
        assert.equal(e.message, `error changing permissions for ${p}. failed to lookup group nosuchgroup: group: unknown group nosuchgroup`));
      await sbx.files.setPermissions([{ path: p, mode: 644, owner: "root" }]);
      assert.equal(owner(p), "0:65534 644");   // the group not given stays
      await sbx.files.setPermissions([{ path: p, mode: 644, owner: "nobody", group: "root" }]);
      assert.equal(owner(p), "65534:0 644");
    });

    it("createDirectories: an existing directory is left alone, new ones get the owner, the leaf the mode", { skip: NEEDS_ROOT }, async () => {
      const d = `${work}/existing`;
      fs.mkdirSync(d);
      fs.chmodSync(d, 0o700);
      fs.chownSync(d, 65534, 65534);
      await sbx.files.createDirectories([{ path: d }]);   // the SDK sends mode 755
      await sbx.files.createDirectories([{ path: d, mode: 777, owner: "root", group: "root" }]);
      assert.equal(owner(d), "65534:65534 700");
      await sbx.files.createDirectories([{ path: `${d}/a/b`, mode: 710, owner: "nobody", group: "nogroup" }]);
      assert.equal(owner(`${d}/a`), `65534:65534 ${fresh}`);
      assert.equal(owner(`${d}/a/b`), "65534:65534 710");
      assert.equal(owner(d), "65534:65534 700");
      await rejectsWith(sbx.files.createDirectories([{ path: `${work}/u/v`, owner: "nosuchuser" }]), 500, (e) =>
        assert.equal(e.message, "error accessing file: failed to lookup user nosuchuser: user: unknown user nosuchuser"));
    });

    it("writeFiles: missing parents get the owner; an unknown owner fails after the file is written", { skip: NEEDS_ROOT }, async () => {
      await sbx.files.writeFiles([{ path: `${work}/up/x/f.txt`, data: "hi", owner: "nobody", group: "nogroup" }]);
      assert.equal(owner(`${work}/up`), `65534:65534 ${fresh}`);
      assert.equal(owner(`${work}/up/x`), `65534:65534 ${fresh}`);
      assert.equal(fs.statSync(`${work}/up/x/f.txt`).uid, 65534);
      assert.equal(fs.statSync(work).uid, 0);
      fs.chownSync(`${work}/up/x/f.txt`, 0, 0);
      await sbx.files.writeFiles([{ path: `${work}/up/x/f.txt`, data: "again" }]);   // no owner: none applied
      assert.equal(owner(`${work}/up/x/f.txt`).split(" ")[0], "0:0");
      await rejectsWith(sbx.files.writeFiles([{ path: `${work}/w.txt`, data: "written", owner: "nosuchuser" }]), 500, (e) =>
        assert.deepEqual(body(e), { code: "RUNTIME_ERROR", message: `error chmoding file ${work}/w.txt. failed to lookup user nosuchuser: user: unknown user nosuchuser` }));
      assert.equal(fs.readFileSync(`${work}/w.txt`, "utf8"), "written");
    });
  });
}
