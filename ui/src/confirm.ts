// "Still true?" on a station's detail: one tap per fact — open now, each listed service — to
// confirm or deny it, with what drivers said lately where the catalog has it.
import type { Context } from "./context";
import { button, el } from "./dom";
import { freshness } from "./format";
import { t } from "./i18n";
import type { FactTally, Station } from "./transport";

/** Unconfirmed this long, a fact is shown as 待确认 (to be confirmed). */
const STALE_DAYS = 90;

/** "3 天前确认 · 本月 5 人确认", "待确认", or "有争议" for one fact's tally (none: to be confirmed). */
export function tallyText(tally: FactTally | undefined, ctx: Context, now: Date = new Date()): { text: string; tone: string } {
  const lang = ctx.lang;
  if (tally && tally.denied > tally.confirmed && tally.denied >= 2) return { text: t("disputed", lang, { n: tally.denied }), tone: "closed" };
  const last = tally?.last_confirmed ? Date.parse(tally.last_confirmed) : NaN;
  if (!tally || !Number.isFinite(last) || now.getTime() - last > STALE_DAYS * 86_400_000) {
    return { text: t("toBeConfirmed", lang), tone: "unknown" };
  }
  return {
    text: `${t("confirmedWhen", lang, { when: freshness(tally.last_confirmed ?? "", lang, now) })} · ${t("confirmedBy", lang, { n: tally.confirmed })}`,
    tone: "open",
  };
}

/** The "still true?" section for `station`. */
export function confirmSection(station: Station, ctx: Context): HTMLElement {
  const lang = ctx.lang;
  const section = el("section", "confirm");
  section.append(el("h3", "", t("stillTrue", lang)));
  const facts = [{ id: "open", label: t("openNowFact", lang) }, ...station.services.map((s) => ({ id: s, label: ctx.labels.service(s, lang) }))];
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
