import { describe, expect, it } from "vitest";
import { rowTally, tallyText } from "./confirm";
import type { Context } from "./context";

const ctx = { lang: "zh", labels: { service: (id: string) => ({ shower: "淋浴", toilet: "厕所" })[id] ?? id } } as unknown as Context;
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

describe("rowTally", () => {
  const hit = (facts?: ReturnType<typeof tally>[]) => ({ facts }) as unknown as Parameters<typeof rowTally>[0];
  const fact = (name: string, t: ReturnType<typeof tally>) => ({ ...t, fact: name });

  it("shows the fact confirmed most recently, named", () => {
    const facts = [fact("toilet", tally(2, 0, "2026-11-20T12:00:00Z")), fact("shower", tally(5, 1, "2026-11-26T12:00:00Z"))];
    expect(rowTally(hit(facts), ctx, now)).toEqual({ text: "淋浴 · 3 天前确认 · 本月 5 人确认", tone: "open" });
  });

  it("puts a disputed fact first, and says 待确认 when nothing is fresh", () => {
    const facts = [fact("shower", tally(5, 0, "2026-11-28T12:00:00Z")), fact("toilet", tally(0, 3, null))];
    expect(rowTally(hit(facts), ctx, now)).toMatchObject({ tone: "closed", text: expect.stringMatching(/^厕所 · 有争议/) });
    expect(rowTally(hit([fact("open", tally(1, 0, "2026-01-01T00:00:00Z"))]), ctx, now)).toEqual({ text: "待确认", tone: "unknown" });
    expect(rowTally(hit(undefined), ctx, now).text).toBe("待确认");
  });
});
