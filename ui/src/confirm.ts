// "Still true?" on a station's detail: one tap per fact — open now, free truck spaces, each
// listed service — to confirm or deny it, with what drivers said lately where the catalog has
// it; and the one line a list row shows of it.
import type { Context } from "./context";
import { button, el } from "./dom";
import { freshness } from "./format";
import { t } from "./i18n";
import type { FactTally, Hit, Station } from "./transport";

/** Unconfirmed this long, a fact is shown as 待确认 (to be confirmed). */
const STALE_DAYS = 90;

/** Denied more often than confirmed lately, and at least twice (as the catalog decides). */
function isDisputed(tally: FactTally): boolean {
  return tally.denied > tally.confirmed && tally.denied >= 2;
}

/** A fact's name: 现在营业, 有空余货车车位, or the service's. */
export function factLabel(fact: string, ctx: Context): string {
  if (fact === "open") return t("openNowFact", ctx.lang);
  if (fact === "free_truck_spaces") return t("freeTruckSpacesFact", ctx.lang);
  return ctx.labels.service(fact, ctx.lang);
}

/** "3 天前确认 · 本月 5 人确认", "待确认", or "有争议" for one fact's tally (none: to be confirmed). */
export function tallyText(tally: FactTally | undefined, ctx: Context, now: Date = new Date()): { text: string; tone: string } {
  const lang = ctx.lang;
  if (tally && isDisputed(tally)) return { text: t("disputed", lang, { n: tally.denied }), tone: "closed" };
  const last = tally?.last_confirmed ? Date.parse(tally.last_confirmed) : NaN;
  if (!tally || !Number.isFinite(last) || now.getTime() - last > STALE_DAYS * 86_400_000) {
    return { text: t("toBeConfirmed", lang), tone: "unknown" };
  }
  return {
    text: `${t("confirmedWhen", lang, { when: freshness(tally.last_confirmed ?? "", lang, now) })} · ${t("confirmedBy", lang, { n: tally.confirmed })}`,
    tone: "open",
  };
}

/** What a list row says of drivers' word: a disputed fact first ("淋浴 · 有争议"), else the fact
 * confirmed most recently ("淋浴 · 3 天前确认 · 本月 5 人确认"), else 待确认. */
export function rowTally(h: Hit, ctx: Context, now: Date = new Date()): { text: string; tone: string } {
  const facts = h.facts ?? [];
  const disputed = facts.find(isDisputed);
  if (disputed) return { text: `${factLabel(disputed.fact, ctx)} · ${tallyText(disputed, ctx, now).text}`, tone: "closed" };
  const when = (f: FactTally) => (f.last_confirmed ? Date.parse(f.last_confirmed) : Number.NEGATIVE_INFINITY);
  const newest = [...facts].sort((a, b) => when(b) - when(a))[0];
  const shown = tallyText(newest, ctx, now);
  return newest && shown.tone === "open" ? { text: `${factLabel(newest.fact, ctx)} · ${shown.text}`, tone: "open" } : shown;
}

/** The "still true?" section for `station`. */
export function confirmSection(station: Station, ctx: Context): HTMLElement {
  const lang = ctx.lang;
  const section = el("section", "confirm");
  section.append(el("h3", "", t("stillTrue", lang)));
  const ids = ["open", ...((station.truck_spaces ?? 0) > 0 ? ["free_truck_spaces"] : []), ...station.services];
  const facts = ids.map((id) => ({ id, label: factLabel(id, ctx) }));
  const rows = new Map<string, HTMLElement>();
  // Reads the tallies again (after a tap, the driver's own word shows).
  let refresh = () => undefined as void;
  for (const fact of facts) {
    const row = el("div", "fact row wrap");
    row.dataset.fact = fact.id;
    const tally = el("span", "tally unknown", t("toBeConfirmed", lang));
    const said = el("span", "said");
    const tap = (holds: boolean) => async () => {
      try {
        await ctx.transport.confirm({ station_id: station.id, fact: fact.id, holds });
        said.className = "said ok";
        said.textContent = t(ctx.transport.where === "app" ? "confirmQueued" : "confirmSent", lang);
        for (const b of row.querySelectorAll("button")) b.disabled = true;
        refresh();
      } catch (e) {
        said.className = "said error";
        said.textContent = (e as Error).message;
      }
    };
    row.append(
      el("span", "fact-name", fact.label),
      tally,
      button(`✓ ${t("yesStill", lang)}`, tap(true), "secondary yes"),
      button(`✗ ${t("notAnymore", lang)}`, tap(false), "secondary no"),
      said,
    );
    rows.set(fact.id, tally);
    section.append(row);
  }
  refresh = () =>
    void ctx.transport
      .facts(station.id)
      .then((tallies) => {
        for (const [fact, node] of rows) {
          const shown = tallyText(tallies.find((x) => x.fact === fact), ctx);
          node.className = `tally ${shown.tone}`;
          node.textContent = shown.text;
        }
      })
      .catch(() => undefined);
  refresh();
  return section;
}
