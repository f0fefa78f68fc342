// The app's figures for BENCHMARKS.md (run by scripts/bench-app.sh under Xvfb): launch to the first
// list, memory with the map open against a minimal Tauri app measured the same way, the map's
// time to first render with a large catalog and its frames while panning — each beside an app
// built from an earlier commit, when one is given, on catalogs of its own (an older build cannot read
// a newer catalog). Each app runs through tauri-driver + WebKitWebDriver.
// Usage: node bench-app.mjs APP MINIMAL DATA_30K DATA_200K DATA_ONE [BEFORE_APP BEFORE_30K BEFORE_200K]
import { spawn } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { css, drag, until, wd as webdriver } from "./webdriver.mjs";
import { scratchDir } from "./scratch.mjs";

const [app, minimal, data30k, data200k, dataOne, before, before30k, before200k] = process.argv.slice(2);
/** Each build measured, with its own catalogs. */
const builds = [
  { name: "after", binary: app, d30k: data30k, d200k: data200k },
  { name: "before", binary: before, d30k: before30k, d200k: before200k },
].filter((b) => b.binary);
const port = 4446;
const base = `http://127.0.0.1:${port}`;

const wd = (method, path, body) => webdriver(base, method, path, body);
/** Polls often: these waits are what is timed. */
const soon = (fn, ms = 120_000, every = 10) => until("the app", fn, ms, every);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A WebDriver session on `binary` with its data under `dataHome`. */
async function withApp(binary, dataHome, work) {
  const driver = spawn("tauri-driver", ["--port", String(port), "--native-port", String(port + 1)], {
    stdio: "ignore",
    env: { ...process.env, XDG_DATA_HOME: dataHome, NO_AT_BRIDGE: "1" },
  });
  try {
    await soon(async () => (await fetch(`${base}/status`)).ok, 20_000, 50);
    const t0 = performance.now();
    const { sessionId } = await wd("POST", "/session", { capabilities: { alwaysMatch: { "tauri:options": { application: binary } } } });
    const mine = named(binary);
    try {
      return await work(sessionId, t0);
    } finally {
      await wd("DELETE", `/session/${sessionId}`).catch(() => {});
      driver.kill();
      // The next launch is measured alone: this app still closing would be counted with it.
      const alive = () => mine.filter((p) => processes().has(p));
      await until("the app to exit", () => alive().length === 0, 20_000, 50).catch(() => {
        for (const p of alive()) {
          try {
            process.kill(Number(p), "SIGKILL");
          } catch {} // gone meanwhile
        }
        return until("the app to be killed", () => alive().length === 0, 5_000, 50);
      });
    }
  } finally {
    driver.kill();
  }
}

/**
 * The live processes (pid → [parent, name]; a name is what the kernel keeps: 15 characters);
 * zombies, which have exited and hold no memory, left out.
 */
function processes() {
  const all = new Map();
  for (const p of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const [state, parent] = stat.slice(close + 2).split(" ");
      if (state !== "Z") all.set(p, [parent, stat.slice(stat.indexOf("(") + 1, close)]);
    } catch {}
  }
  return all;
}

/** The pids of processes running `binary`. */
function named(binary) {
  const name = binary.split("/").pop().slice(0, 15);
  return [...processes()].filter(([, [, n]]) => n === name).map(([p]) => p);
}

async function find(s, selector) {
  const found = await wd("POST", `/session/${s}/elements`, css(selector));
  return found.length ? Object.values(found[0])[0] : null;
}
async function attr(s, selector, name) {
  const el = await find(s, selector);
  return el ? wd("GET", `/session/${s}/element/${el}/attribute/${name}`) : null;
}
async function click(s, selector) {
  await wd("POST", `/session/${s}/element/${await find(s, selector)}/click`, {});
}

/**
 * Proportional set size (kB) of a process and all its descendants (the web processes), and each
 * process's share: anonymous memory (heaps, JavaScript, software-drawn buffers) and mapped files
 * (libraries, fonts: shared with every other program that maps them).
 */
function treePss(binary) {
  const all = processes();
  const procs = [...all.keys()];
  const parent = new Map([...all].map(([p, [up]]) => [p, up]));
  const comm = new Map([...all].map(([p, [, name]]) => [p, name]));
  const roots = named(binary);
  const inTree = (p) => {
    for (let q = p; q && q !== "1" && q !== "0"; q = parent.get(q)) if (roots.includes(q)) return true;
    return false;
  };
  let kb = 0;
  const members = [];
  const each = new Map();
  for (const p of procs.filter(inTree)) {
    try {
      const rollup = readFileSync(`/proc/${p}/smaps_rollup`, "utf8");
      const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(rollup)?.[1] ?? 0);
      kb += field("Pss");
      members.push(comm.get(p));
      const [pss, anon, file] = each.get(comm.get(p)) ?? [0, 0, 0];
      each.set(comm.get(p), [pss + field("Pss"), anon + field("Pss_Anon"), file + field("Pss_File")]);
    } catch {}
  }
  const mb = (k) => Math.round(k / 1024);
  const parts = [...each].map(([name, [k, anon, file]]) => `${name} ${mb(k)} (anon ${mb(anon)}, file ${mb(file)})`).join(", ");
  return { mb: Math.round(kb / 1024), members: members.join(", "), parts };
}

// 1. Launch to the first list, warm (the catalog exists) and first launch (seeded from scratch).
const warm = [];
const inPage = [];
for (let i = 0; i < 5; i++) {
  await withApp(app, data30k, async (s, t0) => {
    await soon(() => find(s, ".station"), 60_000, 5);
    warm.push(Math.round(performance.now() - t0));
    inPage.push(Number(await attr(s, "body", "data-first-list-ms")));
  });
}
console.log(`launch to first list (warm, 30,000 stations): median ${median(warm)} ms over ${warm.length} [${warm.join(", ")}] (from the WebDriver session request; the page itself: median ${median(inPage)} ms from its start)`);
const first = [];
for (let i = 0; i < 3; i++) {
  await withApp(app, scratchDir("ws-first-"), async (s, t0) => {
    await soon(() => find(s, ".station"), 60_000, 5);
    first.push(Math.round(performance.now() - t0));
  });
}
console.log(`launch to first list (first launch: the bundled catalog is copied into a fresh data directory): median ${median(first)} ms [${first.join(", ")}]`);

// 2. Memory: the app with the map open (and the app before the map was sent per view, when
// given), the app on its first screen, a minimal Tauri app.
const memory = async (binary, data, setup) =>
  withApp(binary, data, async (s) => {
    await setup(s);
    await sleep(3000);
    return treePss(binary);
  });
const openMap = async (s) => {
  await soon(() => find(s, ".station"));
  await click(s, "#tab-map");
  await soon(() => attr(s, "#map", "data-render-ms"), 120_000, 20);
};
const nearby = await memory(app, data30k, (s) => soon(() => find(s, ".station")));
const anchor = await memory(minimal, data30k, () => sleep(2000));
console.log(`memory (PSS of the process and its web processes, MB): app on the nearby list ${nearby.mb} (${nearby.parts}); minimal Tauri app ${anchor.mb} (${anchor.parts})`);
for (const { name, binary, d30k, d200k } of builds) {
  for (const [size, data] of [["30,000", d30k], ["200,000", d200k]]) {
    const m = await memory(binary, data, openMap);
    console.log(`memory, map open, ${size} stations (${name}): ${m.mb} MB, ${(m.mb / anchor.mb).toFixed(2)}× the minimal app (${m.parts})`);
  }
}

// 3. The map with the large catalog: time to first render, and frames while a pointer drags it
// (requestAnimationFrame intervals in the page, three drags of 450 px in 1.5 s each); the same
// drags on a one-station catalog give this machine's floor (WebGL drawn in software here).
const RECORD_FRAMES =
  "window.__frames = []; window.__stop = false; let last = performance.now();" +
  "const tick = (t) => { window.__frames.push(t - last); last = t; if (!window.__stop) requestAnimationFrame(tick); };" +
  "requestAnimationFrame(tick); return true;";
async function panFrames(s) {
  const frames = [];
  for (const dx of [-300, 300, -300]) {
    await wd("POST", `/session/${s}/execute/sync`, { script: RECORD_FRAMES, args: [] });
    const canvas = await find(s, "#map .maplibregl-canvas");
    await wd("POST", `/session/${s}/actions`, drag(canvas, dx, dx / 3, 1500, 30));
    frames.push(...(await wd("POST", `/session/${s}/execute/sync`, { script: "window.__stop = true; return window.__frames;", args: [] })));
    await sleep(1000);
  }
  const sorted = frames.slice(1).sort((a, b) => a - b);
  const at = (q) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]);
  return `${sorted.length} frames, median ${at(0.5)} ms, p95 ${at(0.95)} ms, worst ${at(1)} ms`;
}
// The first render is timed in the page, the same way for every build: from the tab's click to
// the map noting its first full render (data-render-ms), loading MapLibre's code included. The
// steps come from the map's performance marks, where the build has them.
const OPEN_MAP_TIMED =
  "const done = arguments[arguments.length - 1]; const map = document.getElementById('map');" +
  "const opened = performance.now();" +
  "new MutationObserver((_, seen) => { if (!map.dataset.renderMs) return; seen.disconnect();" +
  "  const marks = performance.getEntriesByType('mark').filter((m) => m.name.startsWith('map:'));" +
  "  const steps = marks.map((m, i) => `${m.name.slice(4)} ${Math.round(m.startTime - (i ? marks[i - 1].startTime : m.startTime))}`);" +
  "  done({ ms: Math.round(performance.now() - opened), steps: steps.slice(1).join(', ') });" +
  "}).observe(map, { attributes: true, attributeFilter: ['data-render-ms'] });" +
  "document.getElementById('tab-map').click();";
for (const { name, binary, d200k } of builds) {
  await withApp(binary, d200k, async (s) => {
    await soon(() => find(s, ".station"));
    // The list settled first, as a driver would see it before turning to the map.
    await sleep(1000);
    await wd("POST", `/session/${s}/timeouts`, { script: 120_000 });
    const { ms, steps } = await wd("POST", `/session/${s}/execute/async`, { script: OPEN_MAP_TIMED, args: [] });
    const parts = steps ? ` [${steps}]` : "";
    console.log(`map first render, 200,000 stations (${name}): ${ms} ms (from the tab's click: load MapLibre, ask for the stations, draw)${parts}`);
    console.log(`frames while panning, 200,000 stations (${name}): ${await panFrames(s)}`);
  });
}
await withApp(app, dataOne, async (s) => {
  await openMap(s);
  console.log(`frames while panning, one station (this machine's floor): ${await panFrames(s)}`);
});
