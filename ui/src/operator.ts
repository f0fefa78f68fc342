// Operator mode: a station's operator logs in, sees their stations and keeps them true — hours,
// services, status, notice, phone, free truck spaces. Offline edits wait (in the app) and a
// conflict shows both versions.
import type { Context } from "./context";
import { button, el, field, select } from "./dom";
import { t } from "./i18n";
import type { EditOutcome, Operator, Station } from "./transport";

/** The fields the form changed, as the operator API takes them (unchanged fields are left out). */
export function patchOf(before: Station, form: Partial<Station>): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  const keys = ["opening_hours", "services", "status", "notice", "phone", "free_truck_spaces"] as const;
  for (const k of keys) {
    const now = form[k];
    if (now === undefined) continue;
    if (JSON.stringify(now) !== JSON.stringify(before[k])) patch[k] = now;
  }
  return patch;
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
  const hours = el("input");
  hours.name = "opening_hours";
  hours.value = station.opening_hours ?? "";
  hours.placeholder = "Mo-Su 08:00-22:00";
  let status = station.status;
  const statuses = select(
    (ctx.labels.vocab?.statuses ?? []).map((s) => [s.id, s[lang]]),
    station.status,
    (v) => (status = v),
  );
  statuses.name = "status";
  const services = el("fieldset", "service-boxes");
  services.append(el("legend", "", t("services", lang)));
  for (const s of ctx.labels.vocab?.services ?? []) {
    const box = el("input");
    box.type = "checkbox";
    box.value = s.id;
    box.checked = station.services.includes(s.id);
    const l = el("label", "check");
    l.append(box, ` ${s[lang]}`);
    services.append(l);
  }
  const notice = el("textarea");
  notice.name = "notice";
  notice.value = station.notice ?? "";
  const phone = el("input");
  phone.name = "phone";
  phone.type = "tel";
  phone.value = station.phone ?? "";
  const spaces = el("input");
  spaces.name = "free_truck_spaces";
  spaces.type = "number";
  spaces.min = "0";
  spaces.value = station.free_truck_spaces === null ? "" : String(station.free_truck_spaces);
  const result = el("div", "outcome");
  result.setAttribute("role", "status");
  const save = el("button", "primary", t("save", lang));
  save.type = "submit";
  form.append(
    field(t("hours", lang), hours),
    field(t("status", lang), statuses),
    services,
    field(t("notice", lang), notice),
    field(t("phone", lang), phone),
    field(t("truckSpaces", lang), spaces),
    save,
    result,
  );
  form.onsubmit = async (e) => {
    e.preventDefault();
    const chosen = [...services.querySelectorAll<HTMLInputElement>("input:checked")].map((b) => b.value);
    const patch = patchOf(station, {
      opening_hours: hours.value.trim() || null,
      status,
      services: chosen,
      notice: notice.value.trim() || null,
      phone: phone.value.trim() || null,
      free_truck_spaces: spaces.value === "" ? null : Number(spaces.value),
    });
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
  void ctx.transport.syncing?.pendingEdits().then((edits) => {
    if (!edits.length) return;
    const ul = el("ul");
    for (const e of edits) ul.append(el("li", "", `${e.station_id}: ${Object.keys(e.patch).join(", ")} (${e.created_at})`));
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
