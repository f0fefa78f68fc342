// The web UI in a real Chromium (Debian's /usr/bin/chromium, driven by playwright-core) against a
// real `waystation serve` on 127.0.0.1, at a phone's and a laptop's size. Screenshots of every
// screen go to tests/artifacts/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const bin = process.env.WAYSTATION_BIN ?? join(root, "target/debug/waystation");
const artifacts = join(root, "tests/artifacts");
const work = mkdtempSync(join(tmpdir(), "waystation-e2e-"));
const catalog = join(work, "server.sqlite");
const XSS = "<img src=x onerror=alert(1)>";
// Shenzhen civic centre, WGS-84; the hostile station sits exactly here so it is the nearest.
const HERE = "22.543527,114.057939";

let server;
let url;
let browser;

function ws(args, input = "") {
  const r = spawnSync(bin, ["--catalog", catalog, ...args], { input, encoding: "utf8" });
  assert.equal(r.status, 0, `waystation ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  ws(["gen", "--count", "800", "--seed", "4", "-o", join(work, "gen.csv")]);
  ws(["import", join(work, "gen.csv")]);
  writeFileSync(
    join(work, "hostile.csv"),
    "id,kind,name,address,adcode,lat,lon,services,opening_hours,phone,truck_spaces,status,notice,source\n" +
      `x1,warm_bee,"${XSS}",福田区,440304,22.543527,114.057939,shower;toilet;drinking_water,24/7,,,open,,operator\n`,
  );
  ws(["import", join(work, "hostile.csv")]);
  ws(["admin", "add-user", "root", "--role", "admin"], "root-pass-1\n");
  server = spawn(bin, ["--catalog", catalog, "serve", "--addr", "127.0.0.1:0", "--ui", join(root, "ui/dist")], {
    stdio: ["ignore", "pipe", "ignore"],
    env: { ...process.env, RUST_LOG: "warn" },
  });
  url = await new Promise((ok, fail) => {
    server.stdout.on("data", (chunk) => {
      const m = /listening on (http:\/\/\S+)/.exec(String(chunk));
      if (m) ok(m[1]);
    });
    server.on("exit", (code) => fail(new Error(`server exited ${code}`)));
  });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
});

after(async () => {
  await browser?.close();
  server?.kill();
});

async function adminPatch(id, body) {
  const login = await fetch(`${url}/v1/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "root", password: "root-pass-1" }),
  });
  const { token } = await login.json();
  const current = await fetch(`${url}/v1/stations/${id}`);
  const resp = await fetch(`${url}/v1/stations/${id}`, {
    method: "PATCH",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "if-match": current.headers.get("etag") },
    body: JSON.stringify(body),
  });
  assert.equal(resp.status, 200);
}

for (const [name, viewport] of [
  ["phone", { width: 360, height: 740 }],
  ["laptop", { width: 1280, height: 800 }],
]) {
  test(`nearby, filters, detail, navigation, language (${name} ${viewport.width}x${viewport.height})`, async () => {
    const page = await browser.newPage({ viewport });
    let alerted = false;
    page.on("dialog", async (d) => {
      alerted = true;
      await d.dismiss();
    });
    const shot = (step) => page.screenshot({ path: join(artifacts, `${name}-${step}.png`), fullPage: false });

    await page.goto(url);
    await page.fill("#pos", HERE);
    await page.click("#where button[type=submit]");
    await page.waitForSelector(".station");
    await shot("1-nearby");
    assert.ok((await page.locator(".station").count()) > 5);
    assert.match(await page.locator(".synthetic-note").innerText(), /示例数据/);

    // The hostile name is the nearest station and shows as text, not as an image.
    const first = page.locator(".station").first();
    assert.equal(await first.locator(".name").innerText(), XSS);
    assert.equal(await page.locator("img").count(), 0);

    // Only stations with a shower after choosing the shower chip.
    await page.click('#services .chip[data-id="shower"]');
    await page.waitForFunction(() => document.querySelector('#services .chip[data-id="shower"]')?.getAttribute("aria-pressed") === "true");
    await page.waitForTimeout(300);
    const services = await page.locator(".station .services").allInnerTexts();
    assert.ok(services.length > 0);
    for (const s of services) assert.match(s, /淋浴/);
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
    await shot("3-detail");
    await page.click("dialog button");

    // An admin edit on the server shows on the next search.
    await adminPatch("x1", { notice: `通知 ${name}` });
    await page.click("#where button[type=submit]");
    await page.waitForTimeout(300);
    await page.locator(".station").first().click();
    await page.locator(".notice").waitFor();
    assert.equal(await page.locator(".notice").innerText(), `通知 ${name}`);
    await page.click("dialog button");

    // English, and back.
    await page.click("#lang");
    assert.equal(await page.locator("h1").innerText(), "Waystation");
    assert.match(await page.locator("#status").innerText(), /stations/);
    await shot("4-english");
    await page.click("#lang");
    assert.equal(await page.locator("h1").innerText(), "歇脚");
    assert.equal(alerted, false, "no script from station text ran");
    await page.close();
  });
}
