// The execd under test for the interop suites: a fresh daemon on a free port
// (read back from execd.portFile), found by Sandbox.connect() through the minimal
// lifecycle server, as in the OpenSandbox deployment.

import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Sandbox, ConnectionConfig } from "@alibaba-group/opensandbox";
import { startLifecycle } from "./lifecycle.mjs";

process.env.OPENSANDBOX_DISABLE_METRICS = "1";
const EXECD = process.env.EXECD_BIN || path.resolve("../../build/bin/execd");

export async function startExecd(token, extraModules = [], extraArgs = []) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "execd-interop-"));
  const portFile = path.join(dir, "port");
  const args = ["--port", "0", "-D", `execd.portFile=${portFile}`,
    "-D", `execd.modules.load=${["shell", "files", "metrics", "proxy", ...extraModules].join(",")}`, "-D", "execd.logLevel=4"];
  if (token) args.push("--access-token", token);
  args.push(...extraArgs);
  const child = spawn(EXECD, args, { stdio: ["ignore", "ignore", "inherit"] });
  for (let i = 0; i < 500 && !(fs.existsSync(portFile) && fs.readFileSync(portFile, "utf8").trim()); ++i)
    await new Promise((r) => setTimeout(r, 20));
  const port = Number(fs.readFileSync(portFile, "utf8").trim());
  return { child, port, dir };
}

export async function connectSandbox(execd, { token, proxy } = {}) {
  // The lifecycle server hands out execd's endpoint (and the token in its headers).
  const lifecycle = await startLifecycle({ execdPort: execd.port, token, proxy });
  const sbx = await Sandbox.connect({
    sandboxId: "interop",
    connectionConfig: new ConnectionConfig({ domain: `http://127.0.0.1:${lifecycle.port}`, apiKey: "unused" }),
  });
  return { lifecycle, sbx };
}

export async function stopAll({ execd, lifecycle, sbx }) {
  await sbx?.close?.();
  lifecycle?.server.close();
  execd?.child.kill("SIGTERM");
  if (execd) fs.rmSync(execd.dir, { recursive: true, force: true });
}
