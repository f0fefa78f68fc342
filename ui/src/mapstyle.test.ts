import { describe, expect, it } from "vitest";
import { BACKGROUND, mapLook, style } from "./mapstyle";

describe("the map's theme", () => {
  it("follows the chosen display setting; only 'follow system' asks the system", () => {
    // The bug this guards: "light" chosen on a dark-preferring system drew a dark map.
    expect(mapLook("light", true)).toBe("light");
    expect(mapLook("dark", false)).toBe("dark");
    expect(mapLook("contrast", false)).toBe("contrast");
    expect(mapLook("auto", true)).toBe("dark");
    expect(mapLook("auto", false)).toBe("light");
  });

  it("draws the plain background in the look's colour, under the basemap when there is one", () => {
    const plain = style(null, mapLook("light", true));
    expect(plain.layers).toEqual([{ id: "background", type: "background", paint: { "background-color": BACKGROUND.light } }]);
    expect(BACKGROUND.light).not.toBe(BACKGROUND.dark);
    const tiled = style({ tiles: ["https://t/{z}/{x}/{y}.png"], datum: "wgs84", attribution: "©" }, "dark");
    expect(tiled.layers.map((l) => l.id)).toEqual(["background", "basemap"]);
    expect(tiled.layers[0]).toMatchObject({ paint: { "background-color": BACKGROUND.dark } });
    expect(tiled.sources.basemap).toMatchObject({ type: "raster", tiles: ["https://t/{z}/{x}/{y}.png"] });
  });
});
