// Settings: language, display, basemap, and the offline catalog with its sync.
import type { Context } from "./context";
import { button, el, field, select } from "./dom";
import { bytes, freshness } from "./format";
import { type Lang, t } from "./i18n";
import { myProposalsSection } from "./propose";
import type { Theme, Tiles } from "./state";
import type { Datum, SyncReport } from "./transport";

/** What a finished sync says: how far it got, then anything the driver or operator must know
 * (edits the server refused and why, an expired login, sending that stopped early). */
export function syncSummary(r: SyncReport, lang: Lang): string {
  return [
    r.up_to_date ? t("syncUpToDate", lang, { seq: r.seq }) : t("syncDone", lang, { seq: r.seq, n: r.upserts, d: r.deletes }),
    ...r.failed_edits.map((f) => `${t("editRefused", lang)}: ${f.station_id} — ${f.reason}`),
    ...(r.login_needed ? [t("syncLoginNeeded", lang)] : []),
    ...(r.push_problem ? [r.push_problem] : []),
  ].join(" · ");
}

export function applyTheme(theme: Theme, root: HTMLElement = document.documentElement) {
  if (theme === "auto") delete root.dataset.theme;
  else root.dataset.theme = theme;
}

async function catalogFacts(ctx: Context, into: HTMLElement) {
  const lang = ctx.lang;
  try {
    const info = await ctx.transport.info();
    into.replaceChildren(
      el(
        "p",
        "facts",
        t("catalogFacts", lang, {
          n: info.stations.toLocaleString(lang === "zh" ? "zh-CN" : "en"),
          size: info.file_bytes ? bytes(info.file_bytes) : "—",
          when: info.last_updated ? freshness(info.last_updated, lang) : "—",
        }),
      ),
    );
    if (info.synthetic > 0) into.append(el("p", "synthetic", t("syntheticShare", lang, { p: Math.round(info.synthetic_share * 100) })));
  } catch (e) {
    into.replaceChildren(el("p", "error", (e as Error).message));
  }
}

function syncSection(ctx: Context, facts: HTMLElement): HTMLElement {
  const lang = ctx.lang;
  const section = el("section", "card");
  section.append(el("h2", "", t("server", lang)));
  const syncing = ctx.transport.syncing;
  if (!syncing) {
    section.append(el("p", "muted", t("syncServerOnly", lang)));
    return section;
  }
  const server = el("input");
  server.id = "sync-server";
  server.type = "url";
  server.placeholder = "https://catalog.example.cn";
  const key = el("input");
  key.id = "sync-key";
  key.autocomplete = "off";
  const waiting = el("p", "muted");
  const bar = el("progress");
  bar.hidden = true;
  const result = el("p", "result");
  result.setAttribute("role", "status");
  const refresh = async () => {
    const s = await syncing.state();
    if (!server.value) server.value = s.server ?? "";
    if (!key.value) key.value = s.key ?? "";
    const waitingText = t("syncWaiting", lang, {
      e: s.pending_edits,
      r: s.pending_reports,
      p: s.pending_proposals,
      c: s.pending_confirmations,
    });
    const asOf = s.current_as_of
      ? ` · ${t("syncCurrentAsOf", lang, { t: new Date(s.current_as_of).toLocaleString(lang === "zh" ? "zh-CN" : "en") })}`
      : "";
    waiting.textContent = waitingText + asOf;
  };
  const now = button(t("syncNow", lang), async () => {
    now.disabled = true;
    bar.hidden = false;
    bar.removeAttribute("value");
    result.className = "result";
    result.textContent = t("syncing", lang);
    try {
      const r = await syncing.sync(server.value.trim() || null, key.value.trim() || null, (p) => {
        if (p.total > 0) {
          bar.max = p.total;
          bar.value = p.done;
        }
      });
      // The server handed over to a new key (signed by the old one): show the key now pinned.
      if (r.new_key) key.value = r.new_key;
      result.className = "result ok";
      result.textContent = syncSummary(r, lang);
      await catalogFacts(ctx, facts);
    } catch (e) {
      result.className = "result error";
      result.textContent = (e as Error).message;
    } finally {
      now.disabled = false;
      bar.hidden = true;
      await refresh();
    }
  }, "primary");
  now.id = "sync-now";
  section.append(field(t("server", lang), server), field(t("serverKey", lang), key), now, bar, result, waiting);
  void refresh();
  return section;
}

/** The settings screen. Choices go through ctx.update; what depends on them (the language of
 * every screen, the theme of the page and the map) follows by subscription. */
export function renderSettings(root: HTMLElement, ctx: Context) {
  const lang = ctx.lang;
  const s = ctx.settings;
  const general = el("section", "card");
  const language = select([["zh", "中文"], ["en", "English"]], s.lang, (v) => ctx.update({ lang: v as Lang }));
  language.id = "language";
  const theme = select(
    [["auto", t("themeAuto", lang)], ["light", t("themeLight", lang)], ["dark", t("themeDark", lang)], ["contrast", t("themeContrast", lang)]],
    s.theme,
    (v) => ctx.update({ theme: v as Theme }),
  );
  theme.id = "theme";
  general.append(field(t("language", lang), language), field(t("theme", lang), theme));

  const tiles = el("section", "card");
  const key = el("input");
  key.value = s.tilesKey;
  key.onchange = () => ctx.update({ tilesKey: key.value.trim() });
  const url = el("input");
  url.type = "url";
  url.placeholder = "https://…/{z}/{x}/{y}.png";
  url.value = s.tilesUrl;
  url.onchange = () => ctx.update({ tilesUrl: url.value.trim() });
  const datum = select([["wgs84", t("wgs84", lang)], ["gcj02", t("gcj02", lang)]], s.tilesDatum, (v) =>
    ctx.update({ tilesDatum: v as Datum }),
  );
  const keyField = field(t("tilesKey", lang), key);
  const urlField = field(t("tilesUrl", lang), url);
  const datumField = field(t("datum", lang), datum);
  const showFields = () => {
    keyField.hidden = ctx.settings.tiles !== "tianditu";
    urlField.hidden = datumField.hidden = ctx.settings.tiles !== "custom";
  };
  const source = select(
    [["none", t("tilesNone", lang)], ["tianditu", t("tilesTianditu", lang)], ["amap", t("tilesAmap", lang)], ["custom", t("tilesCustom", lang)]],
    s.tiles,
    (v) => {
      ctx.update({ tiles: v as Tiles });
      showFields();
    },
  );
  source.id = "tiles";
  showFields();
  tiles.append(el("h2", "", t("tiles", lang)), field(t("tiles", lang), source), keyField, urlField, datumField);

  const catalog = el("section", "card");
  const facts = el("div", "catalog-facts");
  facts.id = "catalog-facts";
  catalog.append(el("h2", "", t("catalog", lang)), facts);
  void catalogFacts(ctx, facts);

  root.replaceChildren(general, tiles, catalog, syncSection(ctx, facts), myProposalsSection(ctx));
}
