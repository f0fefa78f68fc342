// The admin console, for an admin after login (in the app and in a browser): proposals to
// review (the likely duplicate sketched beside it, a change shown field by field), problem
// reports, and operator accounts. Every action is the catalog server's own API, audited there.
import { factLabel } from "./confirm";
import type { Context } from "./context";
import { button, el, field } from "./dom";
import { distance } from "./format";
import { t } from "./i18n";
import type { FactTally, KeptProposal, Station } from "./transport";

/** A received problem report, as GET /v1/reports lists it. */
interface ReceivedReport {
  id: number;
  station_id: string;
  problem: string;
  service?: string | null;
  note?: string | null;
  received_at: string;
}

/** An account, as GET /v1/users lists it. */
interface Account {
  username: string;
  role: string;
  created_at: string;
  stations: string[];
}

/** Great-circle metres between two WGS-84 positions (for the duplicate's distance). */
export function metresBetween(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const rad = Math.PI / 180;
  const dp = (b.lat - a.lat) * rad;
  const dl = (b.lon - a.lon) * rad;
  const h = Math.sin(dp / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dl / 2) ** 2;
  return 2 * 6_371_008.8 * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Rows of (field, now, proposed) for a change: only the fields it proposes. */
export function diffRows(current: Station, fields: Record<string, unknown>): [string, string, string][] {
  const shown = (v: unknown) => (v === null || v === undefined ? "—" : Array.isArray(v) ? v.join(", ") : String(v));
  const was = current as unknown as Record<string, unknown>;
  return Object.entries(fields).map(([k, v]) => [k, shown(was[k]), shown(v)]);
}

type Point = { lat: number; lon: number };

/** Where the sketch draws its points, in a 240×140 box north up: the proposed position and its
 * likely duplicate centred (the larger span filling 160 units), and the stations around that fall
 * inside the box. */
export function sketchLayout(proposed: Point, other: Point, around: Point[] = []) {
  // Local east/north metres from the proposed position.
  const local = (p: Point) => ({
    east: (p.lon - proposed.lon) * 111_320 * Math.cos((proposed.lat * Math.PI) / 180),
    north: (p.lat - proposed.lat) * 110_574,
  });
  const d = local(other);
  const scale = 80 / Math.max(Math.abs(d.east), Math.abs(d.north), 1);
  const cx = 120 - (d.east * scale) / 2;
  const cy = 70 + (d.north * scale) / 2;
  const place = (p: Point) => {
    const l = local(p);
    return { x: cx + l.east * scale, y: cy - l.north * scale };
  };
  return {
    proposed: place(proposed),
    other: place(other),
    around: around.map(place).filter(({ x, y }) => x >= 0 && x <= 240 && y >= 0 && y <= 124),
    metres: metresBetween(proposed, other),
  };
}

/** A small offline map of the proposed position and its likely duplicate, with the other
 * stations around them as faint dots and a scale, north up (no tiles: it needs no network and no
 * basemap approval). */
export function sketch(proposed: Point, other: Point, around: Point[] = []): SVGSVGElement {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 240 140");
  svg.setAttribute("class", "sketch");
  svg.setAttribute("role", "img");
  const layout = sketchLayout(proposed, other, around);
  svg.setAttribute("aria-label", `${Math.round(layout.metres)} m`);
  const circle = (cls: string, x: number, y: number, r: number) => {
    const c = document.createElementNS(ns, "circle");
    c.setAttribute("class", cls);
    c.setAttribute("cx", String(x));
    c.setAttribute("cy", String(y));
    c.setAttribute("r", String(r));
    return c;
  };
  for (const { x, y } of layout.around) svg.append(circle("neighbour", x, y, 3));
  const pick = ({ x, y }: { x: number; y: number }, fill: string, label: string) => {
    const c = circle("pick", x, y, 6);
    c.setAttribute("fill", fill);
    const text = document.createElementNS(ns, "text");
    text.setAttribute("x", String(x + 9));
    text.setAttribute("y", String(y + 4));
    text.textContent = label;
    svg.append(c, text);
  };
  pick(layout.proposed, "var(--accent)", "新");
  pick(layout.other, "var(--closed)", "旧");
  const line = document.createElementNS(ns, "text");
  line.setAttribute("x", "8");
  line.setAttribute("y", "134");
  line.textContent = `${distance(layout.metres)} · N↑`;
  svg.append(line);
  return svg;
}

/** A text box the console's tests and styles find by its class. */
function input(cls: string, placeholder: string, type = "text"): HTMLInputElement {
  const i = el("input", cls);
  i.type = type;
  i.placeholder = placeholder;
  return i;
}

async function proposalCard(p: KeptProposal, ctx: Context, reload: () => void): Promise<HTMLElement> {
  const lang = ctx.lang;
  const card = el("article", "proposal-card");
  card.dataset.id = String(p.id);
  const name = typeof p.fields.name === "string" ? p.fields.name : "";
  card.append(el("h3", "", p.new_station ? `#${p.id} ${t("newStation", lang)} ${name}` : `#${p.id} ${t("changeOf", lang, { id: p.station_id ?? "" })}`));
  if (p.note) card.append(el("p", "", `${t("noteForReviewer", lang)}: ${p.note}`));
  if (p.contact) card.append(el("p", "muted", `${t("contactForReviewer", lang)}: ${p.contact}`));
  if (!p.new_station && p.station_id) {
    // A change: what it would change, field by field.
    const current = await ctx.transport.station(p.station_id).catch(() => null);
    if (current) {
      const table = el("table", "diff");
      const head = el("tr");
      head.append(el("th", "", t("field", lang)), el("th", "", t("now", lang)), el("th", "", t("proposed", lang)));
      table.append(head);
      for (const [k, was, now] of diffRows(current, p.fields)) {
        const tr = el("tr");
        tr.append(el("td", "", k), el("td", "was", was), el("td", "now", now));
        table.append(tr);
      }
      card.append(table);
    }
  } else {
    const fields = Object.entries(p.fields).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(", ") : String(v)}`);
    card.append(el("p", "fields", fields.join(" · ")));
  }
  if (p.duplicate_of) {
    const other = await ctx.transport.station(p.duplicate_of).catch(() => null);
    const dup = el("div", "duplicate");
    dup.append(el("strong", "", `${t("mayDuplicate", lang)} ${p.duplicate_of}${other ? ` ${other.name}` : ""}`));
    const lat = Number(p.fields.lat);
    const lon = Number(p.fields.lon);
    if (other && Number.isFinite(lat) && Number.isFinite(lon)) {
      // The stations around, for a sense of place: within twice the distance between the two.
      const km = Math.max(metresBetween({ lat, lon }, other) * 2, 200) / 1000;
      const around = await ctx.transport
        .near({ lat, lon, k: 40, within: String(km) })
        .then((hits) => hits.filter((h) => h.id !== other.id))
        .catch(() => []);
      dup.append(sketch({ lat, lon }, other, around));
    }
    card.append(dup);
  }
  const result = el("p", "result");
  result.setAttribute("role", "status");
  const operator = input("operator-name", t("operatorOptional", lang));
  const password = input("operator-password", t("newOperatorPassword", lang), "password");
  const reason = input("reject-reason", t("rejectReason", lang));
  const act = async (what: "approve" | "reject") => {
    const body =
      what === "approve"
        ? { operator: operator.value.trim() || undefined, password: password.value || undefined }
        : { reason: reason.value };
    try {
      await ctx.transport.account("POST", `/v1/proposals/${p.id}/${what}`, body);
      reload();
    } catch (e) {
      result.className = "result error";
      result.textContent = (e as Error).message;
    }
  };
  const approve = button(t("approve", lang), () => void act("approve"), "primary approve");
  const reject = button(t("reject", lang), () => void act("reject"), "secondary reject");
  const approveRow = el("div", "row wrap");
  approveRow.append(operator, password, approve);
  const rejectRow = el("div", "row wrap");
  rejectRow.append(reason, reject);
  card.append(approveRow, rejectRow, result);
  return card;
}

function reportsList(reports: ReceivedReport[], ctx: Context): HTMLElement {
  const lang = ctx.lang;
  const ul = el("ul", "reports");
  for (const r of reports) {
    const problem = ctx.labels.problem(r.problem, lang);
    const service = r.service ? ` (${ctx.labels.service(r.service, lang)})` : "";
    const li = el("li", "", `${r.station_id} · ${problem}${service}${r.note ? ` · ${r.note}` : ""} · ${r.received_at}`);
    ul.append(li);
  }
  if (!reports.length) ul.append(el("li", "muted", t("nothingYet", lang)));
  return ul;
}

function accountsSection(accounts: Account[], ctx: Context, reload: () => void): HTMLElement {
  const lang = ctx.lang;
  const section = el("div", "accounts");
  const result = el("p", "result");
  result.setAttribute("role", "status");
  const run = async (method: string, path: string, body?: unknown) => {
    try {
      await ctx.transport.account(method, path, body);
      reload();
    } catch (e) {
      result.className = "result error";
      result.textContent = (e as Error).message;
    }
  };
  const ul = el("ul", "account-list");
  for (const a of accounts) {
    const li = el("li", "account");
    li.dataset.user = a.username;
    li.append(el("span", "", `${a.username} · ${a.role} · ${a.stations.join(", ") || "—"}`));
    const station = input("assign-station", t("stationId", lang));
    const row = el("div", "row wrap");
    row.append(
      station,
      button(t("assign", lang), () => void run("POST", "/v1/assignments", { username: a.username, station_id: station.value.trim() }), "secondary assign"),
      button(t("revokeSessions", lang), () => void run("DELETE", `/v1/users/${encodeURIComponent(a.username)}/sessions`), "secondary revoke"),
      button(t("removeAccount", lang), () => void run("DELETE", `/v1/users/${encodeURIComponent(a.username)}`), "secondary remove"),
    );
    li.append(row);
    ul.append(li);
  }
  const form = el("form", "row wrap new-operator");
  const name = input("new-name", t("username", lang));
  const pass = input("new-password", t("password", lang), "password");
  const create = el("button", "primary", t("createOperator", lang));
  create.type = "submit";
  form.append(name, pass, create);
  form.onsubmit = (e) => {
    e.preventDefault();
    void run("POST", "/v1/users", { username: name.value.trim(), role: "operator", password: pass.value });
  };
  section.append(ul, field(t("createOperator", lang), form), result);
  return section;
}

/** Fills `root` with the console: pending proposals, recent reports, accounts. */
export async function renderConsole(root: HTMLElement, ctx: Context) {
  const lang = ctx.lang;
  const reload = () => void renderConsole(root, ctx);
  const [proposals, reports, accounts, disputes] = await Promise.all([
    ctx.transport.account<KeptProposal[]>("GET", "/v1/proposals?state=pending"),
    ctx.transport.account<ReceivedReport[]>("GET", "/v1/reports?limit=50"),
    ctx.transport.account<Account[]>("GET", "/v1/users"),
    ctx.transport.account<FactTally[]>("GET", "/v1/disputes"),
  ]);
  const proposalsCard = el("section", "card console-proposals");
  proposalsCard.append(el("h2", "", `${t("proposalsToReview", lang)} (${proposals.length})`));
  for (const p of proposals) proposalsCard.append(await proposalCard(p, ctx, reload));
  if (!proposals.length) proposalsCard.append(el("p", "muted", t("nothingYet", lang)));
  const disputesCard = el("section", "card console-disputes");
  const disputed = el("ul", "disputes");
  for (const d of disputes) {
    const fact = factLabel(d.fact, ctx);
    const li = el("li", "", `${d.station_id} · ${fact} · ✓ ${d.confirmed} ✗ ${d.denied}`);
    li.dataset.station = d.station_id;
    li.dataset.fact = d.fact;
    disputed.append(li);
  }
  if (!disputes.length) disputed.append(el("li", "muted", t("nothingYet", lang)));
  disputesCard.append(el("h2", "", t("disputedFacts", lang)), disputed);
  const reportsCard = el("section", "card console-reports");
  reportsCard.append(el("h2", "", t("reports", lang)), reportsList(reports, ctx));
  const accountsCard = el("section", "card console-accounts");
  accountsCard.append(el("h2", "", t("operators", lang)), accountsSection(accounts, ctx, reload));
  root.replaceChildren(proposalsCard, disputesCard, reportsCard, accountsCard);
}
