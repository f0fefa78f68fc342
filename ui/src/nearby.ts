// The nearby list: the driver's filters as one NearRequest, and only the answer to the newest
// query on screen (an older answer that arrives late is dropped, never shown over a newer one).
import type { Context } from "./context";
import { t } from "./i18n";
import type { StationList } from "./list";
import type { Settings } from "./state";
import { type AlongRequest, type Hit, type NearRequest, RequestError } from "./transport";

/** How many stations the nearby list asks for. */
export const NEARBY_K = 200;

function anyOf(ids: readonly string[]): string | undefined {
  return ids.length ? ids.join(",") : undefined;
}

/** The filter chips as the request layer takes them (kinds any of, services all of). */
function filters(s: Readonly<Settings>) {
  return {
    kind: anyOf(s.kinds),
    service: anyOf(s.services),
    open_now: s.openNow ? true : undefined,
    confirmed: s.confirmedOnly ? true : undefined,
  };
}

/** The nearby query for the settings; null without a position. */
export function nearRequest(s: Readonly<Settings>, k = NEARBY_K): NearRequest | null {
  if (!s.position) return null;
  return {
    lat: s.position.lat,
    lon: s.position.lon,
    k,
    ...filters(s),
    within: s.withinKm === null ? undefined : String(s.withinKm),
    heading: s.ahead && s.heading !== null ? s.heading : undefined,
    // Ahead of me, each station also says when I reach it: at the measured speed, or else the
    // one chosen.
    speed: s.ahead && s.heading !== null ? (s.measuredKmh !== null ? String(s.measuredKmh) : s.speed) : undefined,
  };
}

/** The route query for the settings: the same filters, within the route's distance, with
 * arrival times at the chosen speed from the chosen departure (now when empty). */
export function alongRequest(s: Readonly<Settings>): AlongRequest {
  return {
    within: String(s.routeWithinKm),
    ...filters(s),
    speed: s.speed,
    depart: s.depart || undefined,
    open_on_arrival: s.openOnArrival ? true : undefined,
  };
}

/** Numbers queries 1, 2, 3… and lets through only the answer to the newest one. */
export class Latest {
  private issued = 0;

  /** The newest query's number (0 before any). */
  get newest(): number {
    return this.issued;
  }

  /** Runs `query`; its answer with its number, or null when a newer query was issued meanwhile
   * (its answer or failure is then dropped). */
  async run<T>(query: () => Promise<T>): Promise<{ seq: number; answer: T } | null> {
    const seq = ++this.issued;
    try {
      const answer = await query();
      return seq === this.issued ? { seq, answer } : null;
    } catch (e) {
      if (seq !== this.issued) return null;
      throw e;
    }
  }
}

export interface NearbyView {
  list: Pick<StationList, "show">;
  status: Pick<HTMLElement, "textContent">;
  error: Pick<HTMLElement, "textContent" | "hidden">;
  syntheticNote: Pick<HTMLElement, "hidden">;
}

export class Nearby {
  private readonly latest = new Latest();
  /** The hits on screen, shown again when the screen comes back. */
  hits: Hit[] = [];

  constructor(
    private readonly ctx: Context,
    private readonly view: NearbyView,
  ) {}

  /** Asks for the stations near the driver with the chosen filters; shows the newest answer. */
  async search() {
    const { ctx, view } = this;
    const lang = ctx.lang;
    view.error.hidden = true;
    const request = nearRequest(ctx.settings);
    if (!request) {
      view.status.textContent = t("noPosition", lang);
      return;
    }
    try {
      const got = await this.latest.run(() => ctx.transport.near(request));
      if (!got) return;
      this.hits = got.answer;
      view.status.textContent = this.hits.length ? t("found", ctx.lang, { n: this.hits.length }) : t("none", ctx.lang);
      view.list.show(this.hits, got.seq);
      // When the first list appeared, in ms since the page started (read by the launch benchmark).
      const body = globalThis.document?.body;
      if (body) body.dataset.firstListMs ??= String(Math.round(performance.now()));
      view.syntheticNote.hidden = !this.hits.some((h) => h.source === "synthetic");
    } catch (e) {
      view.error.hidden = false;
      // A refusal (the request layer named its rule) is not "cannot reach the catalog".
      const refused = e instanceof RequestError && e.messageId !== null;
      view.error.textContent = refused ? (e as Error).message : `${t("offline", ctx.lang)} ${(e as Error).message}`;
    }
  }
}
