// The real app window: the debug build of src-tauri under Xvfb, driven over WebDriver by
// tauri-driver and WebKitWebDriver. It must start offline from the bundled seed catalog and show
// the nearby list, then the map (MapLibre with its worker from a Blob URL in WebKitGTK) and the
// settings; screenshots go to tests/artifacts/window-*.png.
// Run inside `xvfb-run dbus-run-session` with NO_AT_BRIDGE=1 (see the Makefile's test-window).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { css, until, wd as webdriver } from "./webdriver.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const app = process.env.WAYSTATION_APP ?? join(root, "target/debug/waystation-app");
const driverBin = process.env.TAURI_DRIVER ?? "tauri-driver";
const artifacts = join(root, "tests/artifacts");
const port = 4444;
const base = `http://127.0.0.1:${port}`;
let driver;
let session;

const wd = (method, path, body) => webdriver(base, method, path, body);

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

async function element(selector) {
  return Object.values(await wd("POST", `/session/${session}/element`, css(selector)))[0];
}

async function textOf(selector) {
  return wd("GET", `/session/${session}/element/${await element(selector)}/text`);
}

async function screenshot(name) {
  const png = await wd("GET", `/session/${session}/screenshot`);
  const bytes = Buffer.from(png, "base64");
  assert.equal(bytes.subarray(1, 4).toString(), "PNG");
  writeFileSync(join(artifacts, `window-${name}.png`), bytes);
}

test("the app window starts offline from the bundled catalog and lists nearby stations", async () => {
  const stations = await until("the nearby list", async () => {
    const found = await wd("POST", `/session/${session}/elements`, css(".station"));
    return found.length > 0 ? found : null;
  });
  assert.ok(stations.length >= 5, `${stations.length} stations listed`);
  assert.match(await textOf("#synthetic-note"), /示例数据/);
  assert.match(await textOf(".station .distance"), /^\d+(\.\d)? k?m /);
  await screenshot("nearby");
});

test("the map draws every station of the offline catalog, clustered", async () => {
  await wd("POST", `/session/${session}/element/${await element("#tab-map")}/click`, {});
  const points = await until("the map's first render", async () => {
    const el = await element("#map");
    const v = await wd("GET", `/session/${session}/element/${el}/attribute/data-points`);
    return v || null;
  });
  assert.equal(points, "30000");
  assert.match(await textOf("#map-note"), /离线视图/);
  const clusters = await wd("POST", `/session/${session}/elements`, css(".cluster-count"));
  assert.ok(clusters.length > 0, "cluster counts are drawn");
  await screenshot("map");
});

test("settings show the offline catalog's size and the sync form", async () => {
  await wd("POST", `/session/${session}/element/${await element("#tab-settings")}/click`, {});
  const facts = await until("catalog facts", async () => textOf("#catalog-facts .facts"));
  assert.match(facts, /30,000 个站点/);
  await element("#sync-now");
  await screenshot("settings");
});
