// The one fixture both end-to-end suites (browser and app window) start their catalog server
// with: a real `waystation serve` on 127.0.0.1 over a catalog file of generated stations (and
// whatever else a suite imports into it), with accounts.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";

/** Runs `waystation --catalog CATALOG ARGS…` (stdin `input`) and returns its output. */
export function waystation(bin, catalog, args, input = "") {
  const r = spawnSync(bin, ["--catalog", catalog, ...args], { input, encoding: "utf8" });
  assert.equal(r.status, 0, `waystation ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/**
 * Makes a catalog in `work` of `count` stations generated with `seed` (or takes the ready
 * `catalog` given), runs `prepare(ws)` for whatever the suite adds (imports, users,
 * assignments), then serves it (and `ui`, if given). Returns where it listens, its public key,
 * the catalog path, `ws` and `stop()`.
 */
export async function startCatalogServer({ bin, work, count, seed, catalog: ready, ui, prepare = () => {}, serveArgs = [] }) {
  const catalog = ready ?? join(work, "server.sqlite");
  const ws = (args, input) => waystation(bin, catalog, args, input);
  if (!ready) {
    ws(["gen", "--count", String(count), "--seed", String(seed), "-o", join(work, "gen.csv")]);
    ws(["import", join(work, "gen.csv")]);
  }
  prepare(ws);
  const args = ["--catalog", catalog, "serve", "--addr", "127.0.0.1:0", ...(ui ? ["--ui", ui] : []), ...serveArgs];
  const server = spawn(bin, args, {
    stdio: ["ignore", "pipe", "ignore"],
    env: { ...process.env, RUST_LOG: "warn" },
  });
  // The one line the server prints when it is ready: where, and the key clients pin.
  const banner = await new Promise((ok, fail) => {
    let seen = "";
    server.stdout.on("data", (chunk) => {
      seen += String(chunk);
      if (/listening on \S+ public_key=\S+/.test(seen)) ok(seen);
    });
    server.on("exit", (code) => fail(new Error(`server exited ${code}`)));
  });
  return {
    url: /listening on (http:\/\/\S+)/.exec(banner)[1],
    key: /public_key=(\S+)/.exec(banner)[1],
    catalog,
    ws,
    stop: () => server.kill(),
  };
}
