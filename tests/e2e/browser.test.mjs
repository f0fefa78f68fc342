// The web UI in a real Chromium (Debian's /usr/bin/chromium, driven by playwright-core) against a
// real `waystation serve` on 127.0.0.1, at a phone's and a laptop's size. Screenshots of every
// screen go to tests/artifacts/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startCatalogServer } from "./catalog-server.mjs";
import { NATIONAL, nationalCatalog } from "./national.mjs";
import { scratchDir } from "./scratch.mjs";
import { until } from "./webdriver.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const bin = process.env.WAYSTATION_BIN ?? join(root, "target/debug/waystation");
const artifacts = join(root, "tests/artifacts");
const work = scratchDir("waystation-e2e-");
const XSS = "<img src=x onerror=alert(1)>";
// Shenzhen civic centre, WGS-84; the hostile station sits exactly here so it is the nearest.
const HERE = "22.543527,114.057939";

let server;
let url;
let browser;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  server = await startCatalogServer({
    bin,
    work,
    count: 800,
    seed: 4,
    ui: join(root, "ui/dist"),
    // So a test can speak from other addresses (x-forwarded-for): drivers elsewhere.
    serveArgs: ["--trust-proxy", "127.0.0.1"],
    prepare: (ws) => {
      writeFileSync(
        join(work, "hostile.csv"),
        "id,kind,name,address,adcode,lat,lon,services,opening_hours,phone,truck_spaces,status,notice,source\n" +
          `x1,warm_bee,"${XSS}",福田区,440304,22.543527,114.057939,shower;toilet;drinking_water,24/7,,,open,,operator\n` +
          // On the route the route screen checks, closed by 23:30 (arrival times).
          `x2,driver_home,南山夜间关门淋浴站,南山区,440305,22.551,114.05,shower;toilet,Mo-Su 08:00-22:00,,,open,,operator\n`,
      );
      ws(["import", join(work, "hostile.csv")]);
      ws(["admin", "add-user", "root", "--role", "admin"], "root-pass-1\n");
      ws(["admin", "add-user", "ann", "--role", "operator"], "ann-pass-1\n");
      ws(["admin", "assign", "ann", "x1"]);
    },
  });
  url = server.url;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
});

after(async () => {
  await browser?.close();
  server?.stop();
});

async function rootToken() {
  const login = await fetch(`${url}/v1/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "root", password: "root-pass-1" }),
  });
  return (await login.json()).token;
}

async function adminPatch(id, body) {
  const token = await rootToken();
  const current = await fetch(`${url}/v1/stations/${id}`);
  const resp = await fetch(`${url}/v1/stations/${id}`, {
    method: "PATCH",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "if-match": current.headers.get("etag") },
    body: JSON.stringify(body),
  });
  assert.equal(resp.status, 200);
}


/** The number of the nearby query whose answer the list shows (0 before any). */
async function listSeq(page) {
  return Number((await page.locator("#list").getAttribute("data-seq")) ?? 0);
}

/** Does `action` and waits until the nearby list shows the answer to a query issued after it
 * (the list's data-seq moves past its value before the action). */
async function listAnswer(page, action) {
  const before = await listSeq(page);
  await action();
  // (A selector, not waitForFunction: the page's CSP forbids the eval that needs.)
  await page.waitForSelector(`#list[data-seq]:not([data-seq="${before}"])`, { state: "attached" });
}

/** Types coordinates into the position dialog and waits for the list from there. */
async function setPosition(page, text, datum = "wgs84") {
  await listAnswer(page, async () => {
    await page.click("#where-button");
    await page.fill("#coords", text);
    await page.selectOption("#location .coords select", datum);
    await page.click("#location .coords button[type=submit]");
    await page.waitForSelector("#location[open]", { state: "detached" });
  });
}

/** The UI's way of writing a distance and a direction (ui/src/format.ts). */
function distanceText(m) {
  if (m < 1000) return `${Math.round(m)} m`;
  if (m < 10_000) return `${(m / 1000).toFixed(1)} km`;
  return `${Math.round(m / 1000)} km`;
}
function compassZh(bearing) {
  return ["北", "东北", "东", "东南", "南", "西南", "西", "西北"][Math.floor((((bearing % 360) + 360) % 360 + 22.5) / 45) % 8];
}

/** The open detail shows the catalog's distance, direction and open state for `id` from `from`. */
async function assertDetailFrom(page, id, from) {
  await page.locator(`#detail[open] .detail[data-id="${id}"]`).waitFor();
  const expected = await (await fetch(`${url}/v1/stations/${encodeURIComponent(id)}?lat=${from.lat}&lon=${from.lon}`)).json();
  assert.equal(typeof expected.distance_m, "number", "the detail has a distance when asked from a position");
  assert.equal(typeof expected.bearing_deg, "number", "and a direction");
  assert.ok(Array.isArray(expected.links) && expected.links.length > 0, "and its navigation links");
  const detail = page.locator("#detail .detail");
  assert.equal(await detail.locator(".meta .distance").innerText(), `${distanceText(expected.distance_m)} ${compassZh(expected.bearing_deg)}`);
  const turn = await detail.locator(".meta .arrow").evaluate((e) => e.style.transform);
  assert.ok(Math.abs(Number(/rotate\(([-\d.e]+)deg\)/.exec(turn)[1]) - expected.bearing_deg) < 0.01, turn);
  const tone = expected.status !== "open" ? "closed" : expected.open_now === true ? "open" : expected.open_now === false ? "closed" : "unknown";
  const open = detail.locator(".meta .open");
  assert.equal(await open.getAttribute("class"), `open ${tone}`);
  assert.match(await open.innerText(), /营业中|已打烊|时间未知|暂停服务|已关闭/);
  assert.equal(await detail.locator(".navlink").count(), expected.links.length);
}

async function firstDistance(page) {
  return page.locator(".station .distance").first().innerText();
}

/** A page whose script errors and dialogs (an injected alert) are recorded, and a way to save
 * screenshots named after the test. `alerted()` tells whether any dialog opened. */
async function watchedPage(options, name) {
  const page = await browser.newPage(options);
  let dialogs = 0;
  page.on("dialog", async (d) => {
    dialogs += 1;
    await d.dismiss();
  });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  const shot = (step) => page.screenshot({ path: join(artifacts, `${name}-${step}.png`), fullPage: false });
  return { page, errors, alerted: () => dialogs > 0, shot };
}

for (const [name, viewport] of [
  ["phone", { width: 360, height: 740 }],
  ["laptop", { width: 1280, height: 800 }],
]) {
  test(`every screen (${name} ${viewport.width}x${viewport.height})`, async () => {
    const { page, errors, alerted, shot } = await watchedPage({ viewport }, name);

    // Nearby: typed WGS-84 coordinates (after the first list, from the default position).
    await page.goto(url);
    await page.waitForSelector("#list[data-seq]", { state: "attached" });
    await setPosition(page, HERE);
    await page.waitForSelector(".station");
    await shot("1-nearby");
    assert.ok(!(await page.locator("#synthetic-note").isHidden()));
    assert.match(await page.locator("#synthetic-note").innerText(), /示例数据/);

    // The hostile name is the nearest station and shows as text, not as an image.
    const first = page.locator(".station").first();
    assert.equal(await first.locator(".name").innerText(), XSS);
    assert.equal(await page.locator(".station img, dialog img").count(), 0);
    assert.equal(await firstDistance(page), "0 m 北");

    // A long list stays short in the DOM (virtualized) and still reaches its end.
    const total = Number(await first.getAttribute("aria-setsize"));
    assert.equal(total, 200);
    assert.ok((await page.locator(".station").count()) < 40, "only rows near the viewport exist");
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    await page.locator('.station[aria-posinset="200"]').waitFor();
    await page.evaluate(() => window.scrollTo(0, 0));

    // Only stations with a shower after choosing the shower chip.
    await listAnswer(page, () => page.click('#services .chip[data-id="shower"]'));
    await page.locator('#services .chip[data-id="shower"][aria-pressed="true"]').waitFor();
    const rows = await page.locator(".station .services").evaluateAll((els) => els.map((e) => [...e.children].map((c) => c.getAttribute("aria-label"))));
    assert.ok(rows.length > 0);
    for (const r of rows) assert.ok(r.includes("淋浴"), JSON.stringify(r));
    await shot("2-shower");

    // Detail with hand-off links: Amap gets GCJ-02 (shifted ~500 m from the WGS-84 position).
    await first.click();
    const amap = page.locator('.navlink[data-app="amap"]');
    await amap.waitFor();
    const href = await amap.getAttribute("href");
    assert.ok(href.startsWith("https://uri.amap.com/navigation?to=114.063"), href);
    assert.ok(!href.includes("114.057939"), href);
    const geo = await page.locator('.navlink[data-app="geo"]').getAttribute("href");
    assert.ok(geo.startsWith("geo:22.543527,114.057939"), geo);
    assert.match(await page.locator("#detail .hours").innerText(), /24\/7/);
    // Opened from the list: distance, direction and open state from where I am.
    assert.equal(await page.locator("#detail .meta .distance").innerText(), "0 m 北");
    assert.equal(await page.locator("#detail .meta .open").innerText(), "营业中");
    await shot("3-detail");

    // Still true? The toilet, confirmed with one tap; the catalog counts it.
    await page.click('#detail .confirm .fact[data-fact="toilet"] button.yes');
    await page.locator('#detail .confirm .fact[data-fact="toilet"] .said.ok').waitFor();
    const facts = await (await fetch(`${url}/v1/stations/x1/facts`)).json();
    assert.ok(facts.find((f) => f.fact === "toilet")?.confirmed >= 1, JSON.stringify(facts));
    await page.locator("#detail .confirm").evaluate((section) => section.scrollIntoView({ block: "center" }));
    await shot("3b-still-true");

    // Report a problem: a missing shower, sent to the server.
    await page.selectOption('#detail select[name="problem"]', "service_missing");
    await page.fill("#detail textarea", `no hot water (${name})`);
    await page.click('#detail .report button[type="submit"]');
    await page.locator("#detail .report .result.ok").waitFor();
    const reports = await (await fetch(`${url}/v1/reports?station=x1`, { headers: { authorization: `Bearer ${await rootToken()}` } })).json();
    assert.ok(reports.some((r) => r.problem === "service_missing" && r.service === "shower" && r.note === `no hot water (${name})`));
    await page.click("#detail .detail > button.primary");

    // "Confirmed by drivers": with the shower chip on, nothing (only x1's toilet was confirmed);
    // without it, x1 alone, its row saying what drivers said.
    await listAnswer(page, () => page.click("#confirmed-only"));
    const said = await (await fetch(`${url}/v1/stations/x1/facts`)).json();
    const shower = said.find((f) => f.fact === "shower");
    const showerConfirmed = !!shower?.last_confirmed && !(shower.denied > shower.confirmed && shower.denied >= 2);
    const listed = () => page.locator(".station").evaluateAll((els) => els.map((e) => e.dataset.id));
    assert.deepEqual(await listed(), showerConfirmed ? ["x1"] : []);
    await listAnswer(page, () => page.click('#services .chip[data-id="shower"]'));
    await page.locator('.station[data-id="x1"]').waitFor();
    assert.deepEqual(await listed(), ["x1"]);
    assert.match(await page.locator('.station[data-id="x1"] .tally.open').innerText(), /^如厕 · 刚刚确认 · 本月 \d+ 人确认$/);
    await shot("2b-confirmed");
    await listAnswer(page, () => page.click("#confirmed-only"));
    await listAnswer(page, () => page.click('#services .chip[data-id="shower"]'));

    // An admin edit on the server shows on the next search.
    await adminPatch("x1", { notice: `通知 ${name}` });
    await listAnswer(page, () => page.selectOption("#within", "20"));
    await page.locator(".station").first().click();
    await page.locator("#detail .notice").waitFor();
    assert.equal(await page.locator("#detail .notice").innerText(), `公告: 通知 ${name}`);
    await page.click("#detail .detail > button.primary");

    // GCJ-02 coordinates (as copied from Amap) land on the same spot: from somewhere else first,
    // so the list must really move back.
    await setPosition(page, "22.6,114.1");
    assert.equal(await page.locator("#where-label").innerText(), "22.6,114.1 (WGS-84)");
    assert.notEqual(await firstDistance(page), "0 m 北");
    const gcj = await (await fetch(`${url}/v1/convert?lat=22.543527&lon=114.057939&from=wgs84&to=gcj02`)).json();
    assert.ok(Math.abs(gcj.lon - 114.057939) > 0.003, "GCJ-02 is shifted from WGS-84");
    await setPosition(page, `${gcj.lat},${gcj.lon}`, "gcj02");
    assert.equal(await page.locator("#where-label").innerText(), `${gcj.lat},${gcj.lon} (GCJ-02)`);
    assert.equal(await page.locator(".station").first().getAttribute("data-id"), "x1");
    assert.equal(await firstDistance(page), "0 m 北");

    // A place by name.
    await page.click("#where-button");
    await page.fill("#place-query", "深圳");
    await page.click("#location form.row button[type=submit]");
    await page.locator("#location .choice").first().click();
    assert.match(await page.locator("#where-label").innerText(), /深圳/);
    await shot("4-place");

    // The map: the stations around Shenzhen, clustered by the catalog, over the plain offline
    // background with scale, north and the districts' names; zoomed out, every station.
    await page.click("#tab-map");
    await page.waitForSelector("#map[data-render-ms]", { timeout: 20_000 });
    const inView = Number(await page.locator("#map").getAttribute("data-points"));
    assert.ok(inView > 0 && inView < 802, `${inView} stations around Shenzhen`);
    await page.locator(".place-label", { hasText: "南山区" }).waitFor();
    for (let zoom = 9; zoom >= 2; zoom--) {
      await page.click(".maplibregl-ctrl-zoom-out");
      await page.waitForSelector(`#map[data-zoom="${zoom}.00"]`, { timeout: 20_000 });
    }
    assert.equal(await page.locator("#map").getAttribute("data-points"), "802");
    // The whole country: provinces named, spaced apart (the few that fit at this zoom).
    await page.locator(".place-label.rank-0").first().waitFor();
    assert.ok((await page.locator(".place-label.rank-0").count()) >= 5);
    assert.equal(await page.locator(".place-label.rank-2").count(), 0, "no county names at this zoom");
    assert.ok((await page.locator(".cluster-count").count()) > 0, "cluster counts are drawn");
    assert.equal(await page.locator("#map .maplibregl-canvas").count(), 1);
    assert.ok((await page.locator(".maplibregl-ctrl-scale").count()) === 1);
    assert.ok((await page.locator(".maplibregl-ctrl-compass").count()) === 1);
    assert.match(await page.locator("#map-note").innerText(), /离线视图/);
    await shot("5-map");

    // Along a route: a GeoJSON line through the hostile station's spot.
    await page.click("#tab-route");
    const route = JSON.stringify({ type: "LineString", coordinates: [[113.9, 22.5], [114.2, 22.6]] });
    await page.setInputFiles("#route-file", { name: "route.geojson", mimeType: "application/geo+json", buffer: Buffer.from(route) });
    await page.locator("#route-list .station").first().waitFor();
    assert.match(await page.locator("#route-list .station .distance").first().innerText(), /^沿途 \S+ k?m · 偏离 \S+ k?m$/);
    // The shower chip chosen on the nearby screen applies here too.
    const expected = await (await fetch(`${url}/v1/stations/along?within=5&service=shower`, { method: "POST", body: route })).json();
    const shown = await page.locator("#route-list .station").evaluateAll((els) => els.map((e) => e.dataset.id));
    assert.deepEqual(shown, expected.slice(0, shown.length).map((h) => h.id));
    // When each station is reached: a car leaving at 23:30 China time. The first row says the
    // time the catalog answered, which is its distance along the route and across at 80 km/h.
    await page.selectOption("#route-speed-vehicle", "car");
    await page.fill("#route-depart", "2026-11-29T23:30");
    const timed = await (
      await fetch(`${url}/v1/stations/along?within=5&service=shower&speed=car&depart=2026-11-29T23:30`, { method: "POST", body: route })
    ).json();
    const reached = timed[0];
    const seconds = (reached.along_m + reached.offset_m) / (80 / 3.6);
    const due = new Date(Date.parse("2026-11-29T23:30:00+08:00") + Math.round(seconds) * 1000);
    // The metres come to a tenth and the catalog times from the exact ones: a second either way.
    assert.ok(Math.abs(Date.parse(reached.eta) - due.getTime()) <= 1000, JSON.stringify(reached));
    const hhmm = reached.eta.slice(11, 16);
    await page
      .locator("#route-list .station .arrive")
      .first()
      .filter({ hasText: reached.eta.slice(0, 10) === "2026-11-29" ? hhmm : `明天 ${hhmm}` })
      .waitFor();
    const then = reached.open_at_arrival === true ? "届时营业" : reached.open_at_arrival === false ? "届时已打烊" : "时间未知";
    assert.match(await page.locator("#route-list .station .arrive").first().innerText(), new RegExp(`到达 · ${then}$`));
    await page.locator('#route-list .station[data-id="x2"] .arrive.closed').waitFor();
    await page.locator("#route-list .station").first().evaluate((row) => row.scrollIntoView({ block: "center" }));
    await shot("6-route");
    await page.evaluate(() => window.scrollTo(0, 0));
    // Only those open when reached: the same stations the catalog keeps with open_on_arrival.
    await page.check("#route-open-on-arrival");
    const openThen = await (
      await fetch(`${url}/v1/stations/along?within=5&service=shower&speed=car&depart=2026-11-29T23:30&open_on_arrival=true`, {
        method: "POST",
        body: route,
      })
    ).json();
    // x2 closes at 22:00: listed, closed then, until only stations open then are asked for.
    assert.equal(timed.find((h) => h.id === "x2")?.open_at_arrival, false);
    assert.ok(!openThen.some((h) => h.id === "x2"));
    await page.locator('#route-list .station[data-id="x2"]').waitFor({ state: "detached" });
    assert.equal(await page.locator("#route-list .station .arrive.closed").count(), 0);
    const kept = await page.locator("#route-list .station").evaluateAll((els) => els.map((e) => e.dataset.id));
    assert.deepEqual(kept, openThen.slice(0, kept.length).map((h) => h.id));
    await page.uncheck("#route-open-on-arrival");

    // Settings: the catalog's facts; high contrast.
    await page.click("#tab-settings");
    await page.locator("#catalog-facts .facts").waitFor();
    assert.match(await page.locator("#catalog-facts").innerText(), /802 个站点/);
    await page.selectOption("#theme", "contrast");
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "contrast");
    await shot("7-settings-contrast");
    await page.selectOption("#theme", "auto");

    // A missing station, proposed from the nearby screen; an admin rejects it with a reason
    // (approving would change the catalog the other viewport's run counts), and the
    // proposer's settings show the decision and why.
    await page.click("#tab-nearby");
    await page.click("#propose-missing");
    await page.fill("#proposal-name", `${name} 热水点`);
    await page.locator('#proposal-services [data-service="drinking_water"]').click();
    await page.click("#proposal-form button[type=submit]");
    await page.locator("#proposal-form .result.ok").waitFor();
    await shot("10-propose");
    const sent = JSON.parse(await page.evaluate(() => localStorage.getItem("waystation.proposals")));
    assert.equal(sent[0].proposal.fields.name, `${name} 热水点`);
    assert.deepEqual(sent[0].proposal.fields.services, ["drinking_water"]);
    const rejected = await fetch(`${url}/v1/proposals/${sent[0].id}/reject`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${await rootToken()}` },
      body: JSON.stringify({ reason: "请补充门店照片" }),
    });
    assert.equal(rejected.status, 204);
    await page.keyboard.press("Escape");
    await page.click("#tab-settings");
    const decided = page.locator("#my-proposals .state.closed");
    await decided.waitFor();
    assert.equal(await decided.first().innerText(), "未通过: 请补充门店照片");

    // Operator mode: log in, change free truck spaces; then a conflict shows both versions.
    await page.click("#tab-operator");
    await page.fill("#operator-user", "ann");
    await page.fill("#operator-password", "ann-pass-1");
    await page.click("#operator .login button[type=submit]");
    const form = page.locator('form.edit[data-id="x1"]');
    await form.waitFor();
    // What drivers said about x1 waits above its form: the report sent from its detail.
    await page.locator('.inbox[data-id="x1"]', { hasText: `no hot water (${name})` }).waitFor();
    // Answered with "still true": the operator vouches for every fact the listing states.
    await page.click('.inbox[data-id="x1"] button.still-true');
    await page.locator('.inbox[data-id="x1"] .said.ok').waitFor();
    const vouched = await (await fetch(`${url}/v1/stations/x1/facts`)).json();
    assert.ok(vouched.find((f) => f.fact === "open")?.confirmed >= 1, JSON.stringify(vouched));
    await form.locator('input[name="free_truck_spaces"]').fill(name === "phone" ? "5" : "6");
    await form.locator("button[type=submit]").click();
    await form.locator(".result.ok").waitFor();
    const saved = await (await fetch(`${url}/v1/stations/x1`)).json();
    assert.equal(saved.free_truck_spaces, name === "phone" ? 5 : 6);
    await adminPatch("x1", { notice: `admin ${name}` });
    await form.locator('textarea[name="notice"]').fill(`operator ${name}`);
    await form.locator("button[type=submit]").click();
    await form.locator("table.conflict").waitFor();
    const conflict = await form.locator("table.conflict").innerText();
    assert.ok(conflict.includes(`operator ${name}`) && conflict.includes(`admin ${name}`), conflict);
    await shot("8-operator-conflict");
    await page.click("#operator .row button");

    // English, and back.
    await page.click("#lang");
    assert.equal(await page.locator("h1").innerText(), "Waystation");
    assert.equal(await page.locator("#tab-nearby").innerText(), "Nearby");
    await listAnswer(page, () => page.click("#tab-nearby"));
    assert.match(await page.locator("#status").innerText(), /stations/);
    await shot("9-english");
    await page.click("#lang");
    assert.equal(await page.locator("h1").innerText(), "歇脚");
    assert.equal(alerted(), false, "no script from station text ran");
    assert.deepEqual(errors, []);
    await page.close();
  });
}

/** Clicks the map's zoom buttons (a whole step each) until its zoom is within [low, high]. */
async function zoomMap(page, low, high) {
  for (;;) {
    const zoom = Number(await page.locator("#map").getAttribute("data-zoom"));
    if (zoom >= low && zoom <= high) return;
    await page.click(zoom < low ? ".maplibregl-ctrl-zoom-in" : ".maplibregl-ctrl-zoom-out");
    const next = (zoom < low ? zoom + 1 : zoom - 1).toFixed(2);
    await page.waitForSelector(`#map[data-zoom="${next}"]`, { timeout: 20_000 });
  }
}

test("the map keeps up with the national catalog (200,000 stations), sent only what each view shows", async () => {
  const national = await startCatalogServer({
    bin,
    work: scratchDir("waystation-e2e-national-"),
    catalog: nationalCatalog(bin, root),
    ui: join(root, "ui/dist"),
  });
  try {
    const { page, errors, shot } = await watchedPage({ viewport: { width: 1280, height: 800 } }, "national");
    const answers = [];
    page.on("response", (r) => {
      if (new URL(r.url()).pathname === "/v1/map" && r.status() === 200) answers.push(r.body().then((b) => b.length));
    });
    await page.goto(national.url);
    await page.click("#tab-map");
    await page.waitForSelector("#map[data-render-ms]", { timeout: 60_000 });
    // The first view is asked for as the screen opens, while the map library loads, and that one
    // answer is what the map first draws (the page's own timings: resources and the map's marks).
    const first = await page.evaluate(() => ({
      asked: performance.getEntriesByType("resource").filter((e) => new URL(e.name).pathname === "/v1/map").map((e) => e.startTime),
      imported: performance.getEntriesByName("map:imported")[0]?.startTime,
    }));
    assert.equal(first.asked.length, 1, "one view asked for up to the first render");
    assert.ok(first.asked[0] < first.imported, "asked for before the map library had loaded");
    // Drawn, not only answered: a tap on a cluster in view, before anything has moved the map,
    // zooms in to where it parts.
    const opened = Number(await page.locator("#map").getAttribute("data-zoom"));
    const canvas = await page.locator("#map .maplibregl-canvas").boundingBox();
    const inView = (b) => b && b.x > canvas.x && b.y > canvas.y && b.x + b.width < canvas.x + canvas.width && b.y + b.height < canvas.y + canvas.height;
    const cluster = (await Promise.all((await page.locator(".cluster-count").all()).map((c) => c.boundingBox()))).find(inView);
    assert.ok(cluster, "a cluster's count in view");
    await page.mouse.click(cluster.x + cluster.width / 2, cluster.y + cluster.height / 2);
    await until("the map zoomed into the tapped cluster", async () => Number(await page.locator("#map").getAttribute("data-zoom")) >= opened + 1, 20_000, 50);
    // Zoomed out to the whole country: every station, in clusters.
    await zoomMap(page, -Infinity, 2.5);
    assert.equal(await page.locator("#map").getAttribute("data-points"), String(NATIONAL));
    assert.ok((await page.locator(".cluster-count").count()) > 0, "cluster counts are drawn");
    // In to the cities: a drag moves the view, and its answer follows.
    await zoomMap(page, 7, Infinity);
    const before = await page.locator("#map").getAttribute("data-center");
    const box = await page.locator("#map .maplibregl-canvas").boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 - 300, box.y + box.height / 2 - 150, { steps: 20 });
    await page.mouse.up();
    await page.locator(`#map:not([data-center="${before}"])`).waitFor({ timeout: 20_000 });
    await page.locator(".place-label.rank-1").first().waitFor();
    await shot("1-map");
    // Every answer is a view's worth, never the catalog: the whole catalog's points were 8 MB.
    const sizes = await Promise.all(answers);
    assert.ok(sizes.length >= 3, `${sizes.length} views asked for`);
    assert.ok(Math.max(...sizes) < 100_000, `answers of ${sizes.join(", ")} bytes`);
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    national.stop();
  }
});

test("the map's first view is drawn when its answer comes late, and asked for again when it fails", async () => {
  const onMap = (request) => new URL(request.url()).pathname === "/v1/map";
  for (const [how, first, asks] of [
    // Past the 300 ms the map waits once its library is in: it starts without, and draws this answer.
    ["late", (route) => new Promise((r) => setTimeout(r, 2_000)).then(() => route.continue()), 1],
    // A failed first answer is asked for again at once, and not reported.
    ["failed", (route) => route.fulfill({ status: 503, contentType: "application/json", body: "{}" }), 2],
  ]) {
    const { page, errors } = await watchedPage({ viewport: { width: 800, height: 600 } }, `first-view-${how}`);
    let seen = 0;
    await page.route((u) => u.pathname === "/v1/map", (route) => (seen++ === 0 ? first(route) : route.continue()));
    const asked = [];
    page.on("request", (r) => onMap(r) && asked.push(r.url()));
    await page.goto(url);
    await page.waitForSelector("#list[data-seq]", { state: "attached" });
    await page.click("#tab-map");
    await page.waitForSelector("#map[data-render-ms]", { timeout: 20_000 });
    assert.equal(asked.length, asks, `${how}: ${asked.length} views asked for`);
    assert.ok(Number(await page.locator("#map").getAttribute("data-points")) > 0, `${how}: the view's stations drawn`);
    assert.doesNotMatch(await page.locator("#map-note").getAttribute("class"), /error/, `${how}: no error shown`);
    if (how === "late") {
      const t = await page.evaluate(() => ({
        loaded: performance.getEntriesByName("map:loaded")[0]?.startTime,
        answered: performance.getEntriesByType("resource").find((e) => new URL(e.name).pathname === "/v1/map")?.responseEnd,
      }));
      assert.ok(t.loaded < t.answered, `the map started (${t.loaded} ms) before the late answer came (${t.answered} ms)`);
    }
    assert.deepEqual(errors, []);
    await page.close();
  }
});

// Where the map draws a WGS-84 point, in CSS pixels from its centre (Web Mercator, 512 px tiles
// as MapLibre counts zoom; the plain offline map is WGS-84 and unrotated).
function mercatorOffset(from, to, zoom) {
  const world = 512 * 2 ** zoom;
  const x = (lon) => ((lon + 180) / 360) * world;
  const y = (lat) => ((1 - Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360)) / Math.PI) / 2) * world;
  return { dx: x(to.lon) - x(from.lon), dy: y(to.lat) - y(from.lat) };
}

test("a station opened from the map and from the search box shows distance, direction and open state", async () => {
  // A dark-preferring system where the driver chose "light": the map must be light.
  const { page, errors, alerted, shot } = await watchedPage(
    { viewport: { width: 360, height: 740 }, colorScheme: "dark" },
    "open",
  );

  await page.goto(url);
  await page.waitForSelector("#list[data-seq]", { state: "attached" });
  await page.click("#tab-settings");
  await page.selectOption("#theme", "light");
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "light");
  await page.click("#tab-nearby");

  // Somewhere ~700 m south-west of x1.
  const here = { lat: 22.539527, lon: 114.052939 };
  await setPosition(page, `${here.lat},${here.lon}`);

  // From the search box: a generated station near here, found by its name.
  const near = await (await fetch(`${url}/v1/stations/near?lat=${here.lat}&lon=${here.lon}&k=5`)).json();
  const other = near.find((h) => h.id !== "x1");
  assert.ok(other, "a generated station near here");
  await page.click("#where-button");
  await page.fill("#place-query", other.name);
  await page.click("#location form.row button[type=submit]");
  const choice = page.locator(`#location .station-choice[data-id="${other.id}"]`);
  await choice.waitFor();
  await choice.locator("button.details").click();
  await page.waitForSelector("#location[open]", { state: "detached" });
  await assertDetailFrom(page, other.id, here);
  assert.equal(await page.locator("#where-label").innerText(), `${here.lat},${here.lon} (WGS-84)`, "opening a station does not move me");
  await shot("1-search-detail");
  await page.click("#detail .detail > button.primary");

  // From the map: zoom in past the clusters, then tap x1 where the map draws it.
  await page.click("#tab-map");
  await page.waitForSelector("#map[data-render-ms]", { timeout: 20_000 });
  assert.equal(await page.locator("#map").getAttribute("data-look"), "light", "the chosen theme wins over the system's");
  for (let zoom = 11; zoom <= 14; zoom++) {
    await page.click(".maplibregl-ctrl-zoom-in");
    await page.waitForSelector(`#map[data-zoom="${zoom}.00"]`, { timeout: 20_000 });
  }
  const [lat, lon] = (await page.locator("#map").getAttribute("data-center")).split(",").map(Number);
  const { dx, dy } = mercatorOffset({ lat, lon }, { lat: 22.543527, lon: 114.057939 }, 14);
  const box = await page.locator("#map .maplibregl-canvas").boundingBox();
  await page.mouse.click(box.x + box.width / 2 + dx, box.y + box.height / 2 + dy);
  await assertDetailFrom(page, "x1", here);
  assert.match(await page.locator("#detail .meta .distance").innerText(), /^\d+ m 东北$/);
  assert.equal(await page.locator("#detail .meta .open").innerText(), "营业中");
  assert.equal(await page.locator("#detail .detail h2").innerText(), XSS);
  await shot("2-map-detail");
  await page.click("#detail .detail > button.primary");

  // "Follow system" follows the (dark) system, on the open map too.
  await page.click("#tab-settings");
  await page.selectOption("#theme", "auto");
  await page.click("#tab-map");
  assert.equal(await page.locator("#map").getAttribute("data-look"), "dark");
  await shot("3-map-dark");

  assert.equal(alerted(), false, "no script from station text ran");
  assert.deepEqual(errors, []);
  await page.close();
});

for (const [name, viewport] of [
  ["phone", { width: 360, height: 740 }],
  ["laptop", { width: 1280, height: 800 }],
]) {
  test(`the admin console reviews proposals, reads reports and manages accounts (${name})`, async () => {
    const { page, errors, alerted, shot } = await watchedPage({ viewport }, `console-${name}`);
    // Waiting for review: a new station beside a generated one of its kind (its likely
    // duplicate), and a change to x1; and a driver's problem report.
    const [near] = await (await fetch(`${url}/v1/stations/near?lat=39.9&lon=116.4&k=1`)).json();
    const post = (path, body, from = undefined) =>
      fetch(`${url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(from ? { "x-forwarded-for": from } : {}) },
        body: JSON.stringify(body),
      });
    const created = await (
      await post("/v1/proposals", {
        fields: { kind: near.kind, name: `${name} 北京新站`, lat: near.lat + 0.0003, lon: near.lon },
      })
    ).json();
    assert.equal(created.duplicate_of, near.id);
    const phone = name === "phone" ? "0755-1111" : "0755-2222";
    const change = await (await post("/v1/proposals", { station_id: "x1", fields: { phone } })).json();
    assert.equal((await post("/v1/reports", { station_id: "x1", problem: "closed", note: `${name} 关门了` })).status, 202);
    // Two drivers, each at their own address (one address is one voice), say x1 has no shower
    // (its operator's edits vouched for it once today).
    for (const [device, from] of [[`deny-a-${name}`, "203.0.113.1"], [`deny-b-${name}`, "203.0.113.2"]]) {
      const denied = await post("/v1/stations/x1/confirmations", { fact: "shower", holds: false, device }, from);
      assert.equal(denied.status, 202);
    }

    await page.goto(url);
    await page.click("#tab-operator");
    await page.fill("#operator-user", "root");
    await page.fill("#operator-password", "root-pass-1");
    await page.click("form.login button[type=submit]");
    const newCard = page.locator(`#admin-console .proposal-card[data-id="${created.id}"]`);
    await newCard.waitFor();
    // The duplicate candidate, sketched; the change, field by field.
    assert.match(await newCard.locator(".duplicate").innerText(), new RegExp(near.id));
    assert.equal(await newCard.locator("svg.sketch circle.pick").count(), 2);
    const changeCard = page.locator(`#admin-console .proposal-card[data-id="${change.id}"]`);
    assert.deepEqual(await changeCard.locator(".diff td").allInnerTexts(), ["phone", "—", phone]);
    assert.match(await page.locator("#admin-console .console-reports").innerText(), new RegExp(`${name} 关门了`));
    await page.locator('#admin-console .console-disputes li[data-station="x1"][data-fact="shower"]').waitFor();
    await newCard.scrollIntoViewIfNeeded();
    await shot("1-review");

    // Approved, making a new operator who runs it; the change rejected with a reason.
    await newCard.locator(".operator-name").fill(`op-${name}`);
    await newCard.locator(".operator-password").fill("op-pass-123");
    await newCard.locator("button.approve").click();
    await newCard.waitFor({ state: "detached" });
    const operator = page.locator(`#admin-console .account[data-user="op-${name}"]`);
    await operator.waitFor();
    assert.match(await operator.innerText(), new RegExp(`prop-0*${created.id}`));
    await changeCard.locator(".reject-reason").fill("电话未核实");
    await changeCard.locator("button.reject").click();
    await changeCard.waitFor({ state: "detached" });
    const status = await (await fetch(`${url}/v1/proposals/${change.id}`, { headers: { "x-proposal-secret": change.secret } })).json();
    assert.deepEqual([status.state, status.reason], ["rejected", "电话未核实"]);

    // A new operator account: created, given x1, its sessions ended, removed.
    await page.fill("#admin-console .new-name", `new-${name}`);
    await page.fill("#admin-console .new-password", "new-pass-123");
    await page.click("#admin-console .new-operator button[type=submit]");
    const account = page.locator(`#admin-console .account[data-user="new-${name}"]`);
    await account.waitFor();
    await account.locator(".assign-station").fill("x1");
    await account.locator("button.assign").click();
    await page.locator(`#admin-console .account[data-user="new-${name}"]`, { hasText: "x1" }).waitFor();
    await page.locator(`#admin-console .account[data-user="new-${name}"] button.revoke`).click();
    await page.locator(`#admin-console .account[data-user="new-${name}"] button.remove`).click();
    await page.locator(`#admin-console .account[data-user="new-${name}"]`).waitFor({ state: "detached" });
    await page.locator("#admin-console .console-accounts").scrollIntoViewIfNeeded();
    await shot("2-accounts");
    const audit = await (
      await fetch(`${url}/v1/audit?limit=20`, { headers: { authorization: `Bearer ${await rootToken()}` } })
    ).json();
    for (const action of ["proposal.approve", "proposal.reject", "user.add", "assign", "user.remove"]) {
      assert.ok(audit.some((e) => e.action === action && e.actor === "root"), action);
    }
    assert.equal(alerted(), false);
    assert.deepEqual(errors, []);
    await page.close();
  });
}
