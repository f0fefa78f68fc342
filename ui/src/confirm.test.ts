import { describe, expect, it } from "vitest";
import { tallyText } from "./confirm";
import type { Context } from "./context";

const ctx = { lang: "zh" } as Context;
const now = new Date("2026-11-29T12:00:00Z");
const tally = (confirmed: number, denied: number, last: string | null) => ({ station_id: "x", fact: "shower", confirmed, denied, last_confirmed: last });

describe("tallyText", () => {
  it("says when a fact was last confirmed and by how many lately", () => {
    expect(tallyText(tally(5, 1, "2026-11-26T12:00:00Z"), ctx, now)).toEqual({ text: "3 天前确认 · 本月 5 人确认", tone: "open" });
  });

  it("calls a fact denied more than confirmed disputed, and one unconfirmed for 90 days to be confirmed", () => {
    expect(tallyText(tally(1, 2, "2026-11-28T12:00:00Z"), ctx, now).tone).toBe("closed");
    expect(tallyText(tally(0, 0, "2026-08-01T12:00:00Z"), ctx, now).text).toBe("待确认");
    expect(tallyText(undefined, ctx, now).text).toBe("待确认");
  });
});
