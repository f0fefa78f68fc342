// The national catalog the map tests draw: 200,000 generated stations (示例数据, synthetic), made
// by the CLI under test and kept in target/e2e until that binary is rebuilt (making it takes the
// debug build about two minutes; the browser and window suites then share it).
import { existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { waystation } from "./catalog-server.mjs";

export const NATIONAL = 200_000;

/** The path of the national catalog, made first if missing or older than `bin`. */
export function nationalCatalog(bin, root) {
  const dir = join(root, "target/e2e");
  const file = join(dir, "national.sqlite");
  if (existsSync(file) && statSync(file).mtimeMs > statSync(bin).mtimeMs) return file;
  mkdirSync(dir, { recursive: true });
  for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
  const csv = join(dir, "national.csv");
  waystation(bin, file, ["gen", "--count", String(NATIONAL), "--seed", "1", "-o", csv]);
  waystation(bin, file, ["import", csv]);
  rmSync(csv);
  return file;
}
