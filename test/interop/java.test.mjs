// Java code runs through the OpenSandbox JavaScript SDK, as upstream's e2e suite
// ("02 java code execution") drives them, against an execd with the java module.
//
// Upstream drives /code with @alibaba-group/opensandbox-code-interpreter, which
// is not on the npm registry: its CodesAdapter is the sandbox SDK's execd client
// (createExecdClient) for contexts plus a POST /code whose JSON event stream goes
// through the sandbox SDK's ExecutionEventDispatcher. codes() below is that, so
// the Execution the assertions read is built by the SDK's own code.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Sandbox, ConnectionConfig, ExecutionEventDispatcher, DEFAULT_EXECD_PORT } from "@alibaba-group/opensandbox";
import { createExecdClient } from "@alibaba-group/opensandbox/internal";
import { startLifecycle } from "./lifecycle.mjs";

process.env.OPENSANDBOX_DISABLE_METRICS = "1";
const EXECD = process.env.EXECD_BIN || path.resolve("../../build/bin/execd");
// The java module is built only where javac is (modules/java/CMakeLists.txt).
const JAVA_MODULE = path.resolve(path.dirname(EXECD), "../lib/execd/libexecd_java.so");

async function startExecd() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "execd-interop-"));
  const portFile = path.join(dir, "port");
  const args = ["--port", "0", "-D", `execd.portFile=${portFile}`, "-D", "execd.modules.load=java", "-D", "execd.logLevel=4"];
  const child = spawn(EXECD, args, { stdio: ["ignore", "ignore", "inherit"] });
  for (let i = 0; i < 500 && !(fs.existsSync(portFile) && fs.readFileSync(portFile, "utf8").trim()); ++i)
    await new Promise((r) => setTimeout(r, 20));
  const port = Number(fs.readFileSync(portFile, "utf8").trim());
  return { child, port, dir };
}

async function* jsonEvents(res) {
  // One JSON object a line, "data:" prefixed or not, as the SDKs read it.
  assert.equal(res.status, 200);
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of res.body) {
    buffered += decoder.decode(chunk, { stream: true });
    let eol;
    while ((eol = buffered.indexOf("\n")) >= 0) {
      let line = buffered.slice(0, eol).trim();
      buffered = buffered.slice(eol + 1);
      if (line.startsWith("data:")) line = line.slice(5).trim();
      if (line.startsWith("{")) yield JSON.parse(line);
    }
  }
}

async function codes(sandbox) {
  const endpoint = await sandbox.getEndpoint(DEFAULT_EXECD_PORT);
  const baseUrl = `${sandbox.connectionConfig.protocol}://${endpoint.endpoint}`;
  const headers = { ...(sandbox.connectionConfig.headers ?? {}), ...(endpoint.headers ?? {}) };
  const client = createExecdClient({ baseUrl, headers, fetch: sandbox.connectionConfig.fetch });
  return {
    async createContext(language) {
      const { data, error } = await client.POST("/code/context", { body: { language } });
      assert.equal(error, undefined);
      return { id: data.id, language: data.language };
    },
    async run(code, context) {
      const res = await sandbox.connectionConfig.sseFetch(`${baseUrl}/code`, {
        method: "POST",
        headers: { accept: "text/event-stream", "content-type": "application/json", ...headers },
        body: JSON.stringify({ code, context: { id: context.id, language: context.language } }),
      });
      const execution = { logs: { stdout: [], stderr: [] }, result: [] };
      const dispatcher = new ExecutionEventDispatcher(execution);
      for await (const ev of jsonEvents(res)) await dispatcher.dispatch(ev);
      return execution;
    },
  };
}

const RED = "\u001b[1m\u001b[31m";
const RESET = "\u001b[0m";

describe("java through the JS SDK", { skip: !fs.existsSync(JAVA_MODULE) && "the java module is not built" }, () => {
  let execd, lifecycle, sbx, ci, ctx;

  before(async () => {
    execd = await startExecd();
    lifecycle = await startLifecycle({ execdPort: execd.port });
    sbx = await Sandbox.connect({
      sandboxId: "interop",
      connectionConfig: new ConnectionConfig({ domain: `http://127.0.0.1:${lifecycle.port}`, apiKey: "unused" }),
    });
    ci = await codes(sbx);
    ctx = await ci.createContext("java");
  });

  after(async () => {
    await sbx?.close?.();
    lifecycle?.server.close();
    execd?.child.kill("SIGTERM");
    fs.rmSync(execd.dir, { recursive: true, force: true });
  });

  it("runs a cell: output and the final value", async () => {
    assert.ok(ctx.id);
    assert.equal(ctx.language, "java");
    const r = await ci.run('System.out.println("Hello from Java!");\nint result = 2 + 2;\nSystem.out.println("2 + 2 = " + result);\nresult', ctx);
    assert.equal(r.error, undefined);
    assert.ok(r.complete);
    assert.equal(r.result[0]?.text, "4");
    assert.equal(r.logs.stdout.map((m) => m.text).join(""), "Hello from Java!\n2 + 2 = 4\n");
  });

  it("names an exception EvalException, as upstream's e2e suites assert", async () => {
    const r = await ci.run("int x = 10 / 0; // ArithmeticException", ctx);
    assert.equal(r.error?.name, "EvalException");
    assert.equal(r.error.value, "/ by zero");
    assert.equal(r.error.traceback[1], `${RED}java.lang.ArithmeticException: / by zero${RESET}`);
    assert.equal(r.exitCode ?? null, null);
    assert.ok(r.complete);
  });

  it("names a compile error CompilationException", async () => {
    const r = await ci.run('int y = "s";', ctx);
    assert.equal(r.error?.name, "CompilationException");
    assert.equal(r.error.value, "");
    assert.equal(r.error.traceback[1], `${RED}incompatible types: java.lang.String cannot be converted to int${RESET}`);
  });

  it("names an unfinished cell IncompleteSourceException", async () => {
    const r = await ci.run("int z =", ctx);
    assert.equal(r.error?.name, "IncompleteSourceException");
    assert.equal(r.error.value, "int z =");
  });
});
