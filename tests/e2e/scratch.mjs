// Temporary directories for one test process, removed when it exits: a national catalog is
// ~115 MB, and a run must not leave its copies behind in /tmp.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const made = [];
process.on("exit", () => {
  for (const dir of made) {
    // A child still closing its catalog may write into it meanwhile: retry, and never fail the
    // run for the clean-up.
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch (e) {
      console.error(`could not remove ${dir}: ${e.message}`);
    }
  }
});

/** A new directory under the system's temporary directory, named from `prefix`. */
export function scratchDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
