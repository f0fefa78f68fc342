// Proposals: a driver adds a station missing from the map, or suggests a change to one; the
// catalog's admins review it. The app queues it for the next sync, a browser sends it now.
import type { Context } from "./context";
import { $, button, el, field, select } from "./dom";
import { icon } from "./icons";
import { t } from "./i18n";
import type { MyProposal, Proposal, Station } from "./transport";

/** The fields a proposal may carry, as the form edits them (strings; services as ids). */
export interface ProposalForm {
  kind: string;
  name: string;
  address: string;
  lat: string;
  lon: string;
  services: string[];
  opening_hours: string;
  phone: string;
}

/** The proposal for what the form says: a new station with every field given, or for
 * `base` only the fields that differ from it (an empty change is left for the catalog to
 * refuse, with its own words). */
export function proposalFrom(form: ProposalForm, base: Station | null, note: string, contact: string): Proposal {
  const fields: Record<string, unknown> = {};
  const text = (key: keyof ProposalForm, was: string | null | undefined) => {
    const v = String(form[key]).trim();
    if (base ? v !== (was ?? "") : v !== "") fields[key] = v === "" ? null : v;
  };
  if (!base) {
    text("kind", undefined);
    fields.lat = Number(form.lat);
    fields.lon = Number(form.lon);
  }
  text("name", base?.name);
  text("address", base?.address);
  text("opening_hours", base?.opening_hours);
  text("phone", base?.phone);
  const services = [...form.services].sort();
  if (base ? services.join() !== [...base.services].sort().join() : services.length) fields.services = services;
  return {
    station_id: base?.id,
    fields,
    crs: "wgs84",
    note: note.trim() || undefined,
    contact: contact.trim() || undefined,
  };
}

/** Opens the proposal form: a change to `base`, or a new station at the driver's position. */
export function openProposal(ctx: Context, base: Station | null) {
  const lang = ctx.lang;
  const dialog = $("detail") as HTMLDialogElement;
  const form = el("form", "proposal");
  form.id = "proposal-form";
  form.append(el("h2", "", base ? t("proposeChangeOf", lang, { name: base.name }) : t("proposeNew", lang)));
  form.append(el("p", "muted", t("proposeHow", lang)));
  const input = (id: string, value: string, type = "text") => {
    const i = el("input");
    i.id = `proposal-${id}`;
    i.type = type;
    i.value = value;
    return i;
  };
  const here = ctx.settings.position;
  const kind = select(
    (ctx.labels.vocab?.kinds ?? []).map((k) => [k.id, k[lang]]),
    base?.kind ?? "caring_merchant",
    () => undefined,
  );
  kind.id = "proposal-kind";
  const name = input("name", base?.name ?? "");
  const address = input("address", base?.address ?? "");
  const lat = input("lat", here ? here.lat.toFixed(6) : "", "number");
  const lon = input("lon", here ? here.lon.toFixed(6) : "", "number");
  lat.step = lon.step = "any";
  const hours = input("hours", base?.opening_hours ?? "");
  hours.placeholder = "Mo-Su 08:00-22:00";
  const phone = input("phone", base?.phone ?? "", "tel");
  const services = el("div", "chips");
  services.id = "proposal-services";
  const chosen = new Set<string>(base?.services ?? []);
  for (const s of ctx.labels.vocab?.services ?? []) {
    const b = button(`${icon(s.id)} ${s[lang]}`, () => {
      if (chosen.has(s.id)) chosen.delete(s.id);
      else chosen.add(s.id);
      b.setAttribute("aria-pressed", String(chosen.has(s.id)));
    }, "chip");
    b.dataset.service = s.id;
    b.setAttribute("aria-pressed", String(chosen.has(s.id)));
    services.append(b);
  }
  const note = el("textarea");
  note.id = "proposal-note";
  note.maxLength = 500;
  note.rows = 2;
  const contact = input("contact", "");
  contact.maxLength = 100;
  const result = el("p", "result");
  result.setAttribute("role", "status");
  const send = el("button", "primary", t("send", lang));
  send.type = "submit";
  const position = el("span", "row");
  position.append(lat, lon);
  if (!base) form.append(field(t("kind", lang), kind));
  form.append(field(t("stationName", lang), name), field(t("address", lang), address));
  if (!base) form.append(field(t("latLonWgs84", lang), position));
  form.append(
    field(t("services", lang), services),
    field(t("hours", lang), hours),
    field(t("phone", lang), phone),
    field(t("noteForReviewer", lang), note),
    field(t("contactForReviewer", lang), contact),
    send,
    result,
  );
  form.onsubmit = async (e) => {
    e.preventDefault();
    send.disabled = true;
    const values: ProposalForm = {
      kind: kind.value,
      name: name.value,
      address: address.value,
      lat: lat.value,
      lon: lon.value,
      services: [...chosen],
      opening_hours: hours.value,
      phone: phone.value,
    };
    try {
      await ctx.transport.propose(proposalFrom(values, base, note.value, contact.value));
      result.className = "result ok";
      result.textContent = t(ctx.transport.where === "app" ? "proposalQueued" : "proposalSent", lang);
    } catch (err) {
      result.className = "result error";
      result.textContent = (err as Error).message;
      send.disabled = false;
    }
  };
  const close = button(t("close", lang), () => dialog.close(), "secondary");
  const body = el("div", "detail");
  body.append(form, close);
  dialog.replaceChildren(body);
  if (!dialog.open) dialog.showModal();
}

const STATE_WORDS = { pending: "proposalPending", approved: "proposalApproved", rejected: "proposalRejected" } as const;

/** One line for a proposal: what it is about and how it went. */
export function proposalLine(p: MyProposal, ctx: Context): { what: string; state: string; tone: string } {
  const lang = ctx.lang;
  const name = typeof p.proposal.fields.name === "string" ? p.proposal.fields.name : "";
  const what = p.proposal.station_id
    ? `${t("changeOf", lang, { id: p.proposal.station_id })} ${Object.keys(p.proposal.fields).join(", ")}`
    : `${t("newStation", lang)} ${name}`;
  if (p.failed !== undefined) return { what, state: `${t("proposalRefused", lang)}: ${p.failed}`, tone: "closed" };
  if (p.status) {
    const label = t(STATE_WORDS[p.status.state], lang);
    const extra = p.status.reason ? `: ${p.status.reason}` : p.status.station_id && p.status.state === "approved" ? ` → ${p.status.station_id}` : "";
    const tone = p.status.state === "approved" ? "open" : p.status.state === "rejected" ? "closed" : "unknown";
    return { what, state: label + extra, tone };
  }
  if (p.unknown !== undefined) return { what, state: `${t("proposalUnknown", lang)} ${p.unknown}`, tone: "unknown" };
  return { what, state: t("proposalWaiting", lang), tone: "unknown" };
}

/** The settings card listing this device's proposals and how each went. */
export function myProposalsSection(ctx: Context): HTMLElement {
  const lang = ctx.lang;
  const section = el("section", "card");
  section.id = "my-proposals";
  const list = el("ul", "proposals");
  const add = button(`＋ ${t("proposeNew", lang)}`, () => openProposal(ctx, null), "secondary");
  add.id = "propose-new";
  const refresh = button(t("refresh", lang), () => void load(), "secondary");
  section.append(el("h2", "", t("myProposals", lang)), add, refresh, list);
  const load = async () => {
    try {
      const mine = await ctx.transport.myProposals();
      list.replaceChildren(
        ...mine.map((p) => {
          const line = proposalLine(p, ctx);
          const li = el("li", "proposal");
          li.append(el("span", "what", line.what), el("span", `state ${line.tone}`, line.state));
          return li;
        }),
      );
      if (!mine.length) list.replaceChildren(el("li", "muted", t("noProposals", lang)));
    } catch (e) {
      list.replaceChildren(el("li", "error", (e as Error).message));
    }
  };
  void load();
  return section;
}
