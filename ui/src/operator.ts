// Operator mode: a station's operator logs in, sees their stations and keeps them true — hours,
// services, status, notice, phone, free truck spaces. Offline edits wait (in the app) and a
// conflict shows both versions.
import type { Context } from "./context";
import { button, el, field, select } from "./dom";
import { renderConsole } from "./console";
import { t, type Word } from "./i18n";
import type { EditOutcome, KeptProposal, Operator, Service, Station } from "./transport";

/** The fields the form changed among those an operator may change (unchanged and other fields
 * are left out), as the operator API takes them. */
export function patchOf(before: Station, form: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  const was = before as unknown as Record<string, unknown>;
  for (const k of fields) {
    const now = form[k];
    if (now === undefined) continue;
    if (JSON.stringify(now) !== JSON.stringify(was[k] ?? null)) patch[k] = now;
  }
  return patch;
}

/** One editable field: its control and how to read the value the API takes. */
interface Editor {
  control: HTMLElement;
  /** False when the control carries its own legend (a fieldset). */
  labelled: boolean;
  read(): unknown;
}

const WORDS: Partial<Record<string, Word>> = {
  opening_hours: "hours",
  status: "status",
  services: "services",
  notice: "notice",
  phone: "phone",
  free_truck_spaces: "truckSpaces",
};

function text(value: string, tag: "input" | "textarea" = "input"): HTMLInputElement | HTMLTextAreaElement {
  const input = el(tag);
  input.value = value;
  return input;
}

/** The control for `name`: the known fields get their own kind of control, any other field the
 * catalog opens to operators gets a text box. */
function editor(name: string, station: Station, ctx: Context): Editor {
  const lang = ctx.lang;
  const value = (station as unknown as Record<string, unknown>)[name];
  const orNull = (v: string) => v.trim() || null;
  switch (name) {
    case "opening_hours": {
      const input = text(station.opening_hours ?? "") as HTMLInputElement;
      input.placeholder = "Mo-Su 08:00-22:00";
      return { control: input, labelled: true, read: () => orNull(input.value) };
    }
    case "status": {
      const statuses = select(
        (ctx.labels.vocab?.statuses ?? []).map((s) => [s.id, s[lang]]),
        station.status,
        () => undefined,
      );
      return { control: statuses, labelled: true, read: () => statuses.value };
    }
    case "services": {
      const box = el("fieldset", "service-boxes");
      box.append(el("legend", "", t("services", lang)));
      for (const s of ctx.labels.vocab?.services ?? []) {
        const check = el("input");
        check.type = "checkbox";
        check.value = s.id;
        check.checked = station.services.includes(s.id as Service);
        const l = el("label", "check");
        l.append(check, ` ${s[lang]}`);
        box.append(l);
      }
      return { control: box, labelled: false, read: () => [...box.querySelectorAll<HTMLInputElement>("input:checked")].map((b) => b.value) };
    }
    case "notice": {
      const area = text(station.notice ?? "", "textarea");
      return { control: area, labelled: true, read: () => orNull(area.value) };
    }
    case "phone": {
      const input = text(station.phone ?? "") as HTMLInputElement;
      input.type = "tel";
      return { control: input, labelled: true, read: () => orNull(input.value) };
    }
    case "free_truck_spaces": {
      const input = text(station.free_truck_spaces === null ? "" : String(station.free_truck_spaces)) as HTMLInputElement;
      input.type = "number";
      input.min = "0";
      return { control: input, labelled: true, read: () => (input.value === "" ? null : Number(input.value)) };
    }
    default: {
      const input = text(value === null || value === undefined ? "" : String(value));
      return {
        control: input,
        labelled: true,
        read: () => (typeof value === "number" ? (input.value === "" ? null : Number(input.value)) : orNull(input.value)),
      };
    }
  }
}

function showOutcome(out: EditOutcome, into: HTMLElement, ctx: Context) {
  const lang = ctx.lang;
  if (out.outcome === "saved") {
    into.replaceChildren(el("p", "result ok", t("saved", lang)));
  } else if (out.outcome === "queued") {
    into.replaceChildren(el("p", "result ok", t("queued", lang)));
  } else {
    const table = el("table", "conflict");
    const head = el("tr");
    head.append(el("th"), el("th", "", t("yours", lang)), el("th", "", t("theirs", lang)));
    table.append(head);
    for (const [k, v] of Object.entries(out.mine)) {
      const tr = el("tr");
      const theirs = (out.theirs as unknown as Record<string, unknown>)[k];
      tr.append(el("th", "", k), el("td", "", JSON.stringify(v)), el("td", "", JSON.stringify(theirs ?? null)));
      table.append(tr);
    }
    into.replaceChildren(el("p", "result error", t("conflict", lang)), table);
  }
}

function editForm(station: Station, ctx: Context, done: () => void): HTMLFormElement {
  const lang = ctx.lang;
  const form = el("form", "edit card");
  form.dataset.id = station.id;
  form.append(el("h3", "", station.name));
  // Exactly the fields the catalog lets an operator change, in its order.
  const fields = ctx.labels.operatorFields;
  const editors = new Map<string, Editor>();
  for (const name of fields) {
    const e = editor(name, station, ctx);
    e.control.setAttribute("name", name);
    editors.set(name, e);
    const word = WORDS[name];
    form.append(e.labelled ? field(word ? t(word, lang) : name, e.control) : e.control);
  }
  const result = el("div", "outcome");
  result.setAttribute("role", "status");
  const save = el("button", "primary", t("save", lang));
  save.type = "submit";
  save.disabled = !fields.length;
  if (!fields.length) result.append(el("p", "result error", t("offline", lang)));
  form.append(save, result);
  form.onsubmit = async (e) => {
    e.preventDefault();
    const values: Record<string, unknown> = {};
    for (const [name, editor] of editors) values[name] = editor.read();
    const patch = patchOf(station, values, fields);
    if (!Object.keys(patch).length) return;
    save.disabled = true;
    try {
      const out = await ctx.transport.edit(station, patch);
      showOutcome(out, result, ctx);
      if (out.outcome === "saved") {
        Object.assign(station, out.station);
        done();
      }
    } catch (err) {
      result.replaceChildren(el("p", "result error", (err as Error).message));
    } finally {
      save.disabled = false;
    }
  };
  return form;
}

/** What waits about an operator's station: problem reports and pending proposals. */
interface Inbox {
  reports: { station_id: string; problem: string; service?: string | null; note?: string | null; received_at: string }[];
  proposals: KeptProposal[];
}

/** Above each station's form, what drivers reported and proposed about it: the operator answers
 * by fixing the listing right there. */
async function showInbox(list: HTMLElement, stations: Station[], ctx: Context) {
  const stationsById = new Map(stations.map((s) => [s.id, s]));
  const lang = ctx.lang;
  const inbox = await ctx.transport.account<Inbox>("GET", "/v1/me/inbox").catch(() => null);
  if (!inbox) return;
  for (const form of list.querySelectorAll<HTMLFormElement>("form.edit")) {
    const id = form.dataset.id;
    const lines: string[] = [];
    for (const r of inbox.reports.filter((r) => r.station_id === id)) {
      const service = r.service ? ` (${ctx.labels.service(r.service, lang)})` : "";
      lines.push(`${t("reported", lang)} ${ctx.labels.problem(r.problem, lang)}${service}${r.note ? `: ${r.note}` : ""} · ${r.received_at.slice(0, 10)}`);
    }
    for (const p of inbox.proposals.filter((p) => p.station_id === id)) {
      const fields = Object.entries(p.fields).map(([k, v]) => `${k} → ${Array.isArray(v) ? v.join(", ") : String(v)}`);
      lines.push(`${t("proposedChange", lang)} ${fields.join("; ")}${p.note ? ` (${p.note})` : ""}`);
    }
    if (!lines.length) continue;
    const box = el("div", "inbox");
    box.dataset.id = id;
    box.append(el("h4", "", t("aboutThisStation", lang)));
    const ul = el("ul");
    for (const line of lines) ul.append(el("li", "", line));
    // Or the listing is right as it is: the operator vouches for every fact it states.
    const said = el("span", "said");
    const still = button(t("stillTrueAll", lang), async () => {
      const station = stationsById.get(id ?? "");
      if (!station) return;
      try {
        for (const fact of ["open", ...station.services]) await ctx.transport.confirm({ station_id: station.id, fact, holds: true });
        said.className = "said ok";
        said.textContent = t(ctx.transport.where === "app" ? "confirmQueued" : "confirmSent", lang);
        still.disabled = true;
      } catch (e) {
        said.className = "said error";
        said.textContent = (e as Error).message;
      }
    }, "secondary still-true");
    box.append(ul, still, said);
    form.before(box);
  }
}

function stations(me: Operator, root: HTMLElement, ctx: Context, rerender: () => void) {
  const lang = ctx.lang;
  const head = el("div", "row spread");
  head.append(el("h2", "", `${t("myStations", lang)} · ${me.username}`), button(t("logout", lang), async () => {
    await ctx.transport.logout();
    rerender();
  }));
  const list = el("div", "my-stations");
  if (!me.stations.length) list.append(el("p", "muted", t("noStations", lang)));
  for (const s of me.stations) list.append(editForm(s, ctx, () => undefined));
  const pending = el("section", "pending");
  root.replaceChildren(head, pending, list);
  void showInbox(list, me.stations, ctx);
  if (me.role === "admin") {
    const panel = el("div", "console");
    panel.id = "admin-console";
    root.append(el("h2", "", t("console", lang)), panel);
    void renderConsole(panel, ctx).catch((e) => panel.replaceChildren(el("p", "error", (e as Error).message)));
  }
  void ctx.transport.syncing?.pendingEdits().then((edits) => {
    if (!edits.length) return;
    const ul = el("ul");
    for (const e of edits) {
      const what = `${e.station_id}: ${Object.keys(e.patch).join(", ")} (${e.created_at})`;
      const li = el("li", e.failed ? "failed" : "", what);
      if (e.failed) li.append(el("div", "muted", `${t("editRefused", lang)}: ${e.failed}`));
      ul.append(li);
    }
    pending.append(el("h3", "", t("pendingEdits", lang)), ul);
  });
}

export async function renderOperator(root: HTMLElement, ctx: Context) {
  const lang = ctx.lang;
  const rerender = () => void renderOperator(root, ctx);
  try {
    stations(await ctx.transport.me(), root, ctx, rerender);
    return;
  } catch {
    // Not logged in (or the server is unreachable): the login form.
  }
  const form = el("form", "login card");
  const server = el("input");
  server.type = "url";
  server.id = "operator-server";
  server.placeholder = "https://catalog.example.cn";
  const serverField = field(t("server", lang), server);
  if (ctx.transport.where === "server") serverField.hidden = true;
  else void ctx.transport.syncing?.state().then((s) => (server.value = s.server ?? ""));
  const user = el("input");
  user.id = "operator-user";
  user.autocomplete = "username";
  const pass = el("input");
  pass.id = "operator-password";
  pass.type = "password";
  pass.autocomplete = "current-password";
  const result = el("p", "result error");
  result.setAttribute("role", "alert");
  const login = el("button", "primary", t("login", lang));
  login.type = "submit";
  form.append(el("h2", "", t("tabOperator", lang)), serverField, field(t("username", lang), user), field(t("password", lang), pass), login, result);
  form.onsubmit = async (e) => {
    e.preventDefault();
    try {
      const me = await ctx.transport.login(server.value.trim(), user.value.trim(), pass.value);
      stations(me, root, ctx, rerender);
    } catch (err) {
      result.textContent = (err as Error).message;
    }
  };
  root.replaceChildren(form);
}
