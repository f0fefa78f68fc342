// The real app window: the debug build of src-tauri under Xvfb, driven over WebDriver by
// tauri-driver and WebKitWebDriver. It must start offline from the bundled seed catalog and show
// the nearby list; a screenshot goes to tests/artifacts/window-nearby.png.
// Run inside `xvfb-run dbus-run-session` with NO_AT_BRIDGE=1 (see the Makefile's test-window).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const app = process.env.WAYSTATION_APP ?? join(root, "target/debug/waystation-app");
const driverBin = process.env.TAURI_DRIVER ?? "tauri-driver";
const artifacts = join(root, "tests/artifacts");
const port = 4444;
const base = `http://127.0.0.1:${port}`;
let driver;
let session;

async function wd(method, path, body) {
  const resp = await fetch(`${base}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await resp.json();
  if (!resp.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json)}`);
  return json.value;
}

async function until(what, fn, ms = 60_000) {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      if (Date.now() > end) throw e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  // A fresh data directory: the app must create its catalog from the built-in seed, offline.
  const data = mkdtempSync(join(tmpdir(), "waystation-window-"));
  driver = spawn(driverBin, ["--port", String(port)], {
    stdio: "ignore",
    env: { ...process.env, XDG_DATA_HOME: data, NO_AT_BRIDGE: "1" },
  });
  await until("tauri-driver", async () => (await fetch(`${base}/status`)).ok, 20_000);
  // No browserName: WebKitWebDriver rejects it.
  const created = await wd("POST", "/session", {
    capabilities: { alwaysMatch: { "tauri:options": { application: app } } },
  });
  session = created.sessionId;
});

after(async () => {
  if (session) await wd("DELETE", `/session/${session}`).catch(() => {});
  driver?.kill();
});

test("the app window starts offline from the bundled catalog and lists nearby stations", async () => {
  const css = (selector) => ({ using: "css selector", value: selector });
  const stations = await until("the nearby list", async () => {
    const found = await wd("POST", `/session/${session}/elements`, css(".station"));
    return found.length > 0 ? found : null;
  });
  assert.ok(stations.length >= 5, `${stations.length} stations listed`);
  const note = await wd("POST", `/session/${session}/element`, css(".synthetic-note"));
  const text = await wd("GET", `/session/${session}/element/${Object.values(note)[0]}/text`);
  assert.match(text, /示例数据/);
  const png = await wd("GET", `/session/${session}/screenshot`);
  const bytes = Buffer.from(png, "base64");
  assert.equal(bytes.subarray(1, 4).toString(), "PNG");
  writeFileSync(join(artifacts, "window-nearby.png"), bytes);
});
