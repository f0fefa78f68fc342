import { defineConfig } from "vitest/config";

// The built UI is served by `waystation serve` at `/`; API calls go to the same origin.
export default defineConfig({
  // The map library (MapLibre GL, ~300 KB gzipped) is its own chunk, loaded when the map opens.
  build: { outDir: "dist", emptyOutDir: true, target: "es2020", chunkSizeWarningLimit: 1200 },
  test: { environment: "node" },
});
