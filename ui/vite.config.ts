import { defineConfig } from "vitest/config";

// The built UI is served by `waystation serve` at `/`; API calls go to the same origin.
export default defineConfig({
  build: { outDir: "dist", emptyOutDir: true, target: "es2020" },
  test: { environment: "node" },
});
