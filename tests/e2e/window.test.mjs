// The real app window: the debug build of src-tauri under Xvfb, driven over WebDriver by
// tauri-driver and WebKitWebDriver. It must start offline from the bundled seed catalog and show
// the nearby list, then the map (MapLibre with its worker from a Blob URL in WebKitGTK) and the
// settings; then it syncs with a real `waystation serve` on 127.0.0.1 and shows an operator's edit.
// Screenshots go to tests/artifacts/window-*.png.
// Run inside `xvfb-run dbus-run-session` with NO_AT_BRIDGE=1 (see the Makefile's test-window).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startCatalogServer } from "./catalog-server.mjs";
import { NATIONAL, nationalCatalog } from "./national.mjs";
import { scratchDir } from "./scratch.mjs";
import { css, drag, until, wd as webdriver } from "./webdriver.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const app = process.env.WAYSTATION_APP ?? join(root, "target/debug/waystation-app");
const driverBin = process.env.TAURI_DRIVER ?? "tauri-driver";
const cli = process.env.WAYSTATION_BIN ?? join(root, "target/debug/waystation");
const artifacts = join(root, "tests/artifacts");
const port = 4444;
const base = `http://127.0.0.1:${port}`;
let driver;
let session;
let catalogServer;

const wd = (method, path, body) => webdriver(base, method, path, body);

/** A catalog server of 300 generated stations with an operator, ann, and an admin, root. */
function startServer(work) {
  return startCatalogServer({
    bin: cli,
    work,
    count: 300,
    seed: 7,
    prepare: (ws) => {
      ws(["admin", "add-user", "ann", "--role", "operator"], "ann-pass-1\n");
      ws(["admin", "add-user", "root", "--role", "admin"], "root-pass-1\n");
    },
  });
}

/** tauri-driver, and a session of the app with its data under `dataHome`. */
async function startApp(dataHome) {
  driver = spawn(driverBin, ["--port", String(port)], {
    stdio: "ignore",
    env: { ...process.env, XDG_DATA_HOME: dataHome, NO_AT_BRIDGE: "1" },
  });
  await until("tauri-driver", async () => (await fetch(`${base}/status`)).ok, 20_000);
  // No browserName: WebKitWebDriver rejects it.
  const created = await wd("POST", "/session", {
    capabilities: { alwaysMatch: { "tauri:options": { application: app } } },
  });
  session = created.sessionId;
}

/** Ends the session and the driver, and waits for the driver to let go of its port. */
async function stopApp() {
  if (session) await wd("DELETE", `/session/${session}`).catch(() => {});
  session = undefined;
  if (driver && driver.exitCode === null && driver.signalCode === null) {
    const exited = new Promise((resolve) => driver.once("exit", resolve));
    driver.kill();
    await exited;
  }
}

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  catalogServer = await startServer(scratchDir("waystation-window-server-"));
  // A fresh data directory: the app must create its catalog from the built-in seed, offline.
  await startApp(scratchDir("waystation-window-"));
});

after(async () => {
  await stopApp();
  catalogServer?.stop();
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

test("the map draws the offline catalog's stations, clustered, and every one zoomed out", async () => {
  await click("#tab-map");
  await until("the map's first render", () => attribute("#map", "data-render-ms"));
  await zoomOutToCountry();
  assert.equal(await attribute("#map", "data-points"), "30000");
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

async function attribute(selector, name) {
  return wd("GET", `/session/${session}/element/${await element(selector)}/attribute/${name}`);
}

/** Zooms the map out a step at a time until the whole country is in view (zoom 2.6 or less). */
async function zoomOutToCountry() {
  for (;;) {
    const zoom = Number(await attribute("#map", "data-zoom"));
    if (zoom <= 2.6) return;
    await click(".maplibregl-ctrl-zoom-out");
    await until("the zoomed-out view", async () => (await attribute("#map", "data-zoom")) === (zoom - 1).toFixed(2), 20_000);
  }
}

async function type(selector, text) {
  const el = await element(selector);
  await wd("POST", `/session/${session}/element/${el}/clear`, {});
  await wd("POST", `/session/${session}/element/${el}/value`, { text });
}

async function click(selector) {
  await wd("POST", `/session/${session}/element/${await element(selector)}/click`, {});
}

async function syncNow() {
  await click("#tab-settings");
  await until("the sync form", () => element("#sync-now"));
  await type("#sync-server", catalogServer.url);
  await type("#sync-key", catalogServer.key);
  await click("#sync-now");
  return until("the sync result", async () => {
    const text = await textOf("#settings .result");
    return /已同步|已是最新/.test(text) ? text : null;
  });
}

test("sync now replaces the bundled catalog with the server's, and an operator's edit shows up after the next sync", async () => {
  const first = await syncNow();
  assert.match(first, /已同步到 #\d+/);
  assert.match(await until("new facts", async () => {
    const t = await textOf("#catalog-facts .facts");
    return /^300 个站点/.test(t) ? t : null;
  }), /^300 个站点/);
  await screenshot("synced");

  // The operator of the station nearest the app's position edits its notice on the server.
  const near = await (await fetch(`${catalogServer.url}/v1/stations/near?lat=22.543&lon=114.058&k=1`)).json();
  const id = near[0].id;
  catalogServer.ws(["admin", "assign", "ann", id]);
  const login = await fetch(`${catalogServer.url}/v1/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "ann", password: "ann-pass-1" }),
  });
  const { token } = await login.json();
  const etag = (await fetch(`${catalogServer.url}/v1/stations/${id}`)).headers.get("etag");
  const patched = await fetch(`${catalogServer.url}/v1/stations/${id}`, {
    method: "PATCH",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "if-match": etag },
    body: JSON.stringify({ notice: "热水 24 小时（窗口测试）" }),
  });
  assert.equal(patched.status, 200);

  assert.match(await syncNow(), /已同步到 #\d+：1 个更新/);
  await click("#tab-nearby");
  // The list is drawn from memory at once, then again when the fresh search answers: click once
  // the row holds still.
  await until("a click on the edited station", async () => {
    await click(`.station[data-id="${id}"]`);
    return true;
  });
  const notice = await until("the notice", () => textOf("#detail .notice"));
  assert.equal(notice, "公告: 热水 24 小时（窗口测试）");
  await screenshot("after-sync");
  await click("#detail .detail > button.primary");
});

test("an admin reviews a driver's proposal in the app window's console, and the approved station syncs in", async () => {
  // A driver proposes a station the catalog lacks (anonymously, as anyone may).
  const proposed = await fetch(`${catalogServer.url}/v1/proposals`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ fields: { kind: "warm_bee", name: "窗口测试新驿站", lat: 22.5431, lon: 114.0581 } }),
  });
  assert.equal(proposed.status, 202);
  const { id, secret } = await proposed.json();

  // root logs in in the app; the console lists the proposal, and root approves it there.
  await click("#tab-operator");
  await until("the login form", () => element("#operator-user"));
  await type("#operator-server", catalogServer.url);
  await type("#operator-user", "root");
  await type("#operator-password", "root-pass-1");
  await click("form.login button[type=submit]");
  const card = `#admin-console .proposal-card[data-id="${id}"]`;
  assert.match(await until("the proposal in the console", () => textOf(card)), /窗口测试新驿站/);
  await screenshot("console");
  await click(`${card} button.approve`);
  const status = await until("the approval", async () => {
    const s = await (await fetch(`${catalogServer.url}/v1/proposals/${id}`, { headers: { "x-proposal-secret": secret } })).json();
    return s.state === "approved" ? s : null;
  });
  assert.ok(status.station_id, JSON.stringify(status));

  // The next sync brings the new station to the app's own catalog.
  assert.match(await syncNow(), /已同步到 #\d+：1 个更新/);
  await click("#tab-nearby");
  await until("the new station in the list", () => element(`.station[data-id="${status.station_id}"]`));
});

test("the map keeps up with the national catalog (200,000 stations) in the app window", async () => {
  // The app on a data directory holding the national catalog, as after a sync with the country.
  const national = nationalCatalog(cli, root);
  const data = scratchDir("waystation-window-national-");
  mkdirSync(join(data, "org.waystation.app"));
  for (const suffix of ["", "-wal"]) {
    if (existsSync(national + suffix)) copyFileSync(national + suffix, join(data, "org.waystation.app", `catalog.sqlite${suffix}`));
  }
  await stopApp();
  await startApp(data);
  await until("the nearby list", () => element(".station"), 120_000);
  await click("#tab-map");
  await until("the map's first render", () => attribute("#map", "data-render-ms"), 120_000);
  // Zoomed out to the whole country: every station, in clusters, the provinces named.
  await zoomOutToCountry();
  assert.equal(await attribute("#map", "data-points"), String(NATIONAL));
  assert.ok((await wd("POST", `/session/${session}/elements`, css(".cluster-count"))).length > 0);
  assert.ok((await wd("POST", `/session/${session}/elements`, css(".place-label"))).length > 0);
  // A drag with the pointer moves the view, and the answer for the new view follows.
  const before = await attribute("#map", "data-center");
  const canvas = await element("#map .maplibregl-canvas");
  await wd("POST", `/session/${session}/actions`, drag(canvas, -200, -100, 600));
  await until("the moved view", async () => (await attribute("#map", "data-center")) !== before, 20_000);
  await screenshot("national-map");
});
