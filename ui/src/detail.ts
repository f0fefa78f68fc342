// A station's detail: where, when, what it offers, how to get there, and "report a problem".
import { type Context, fromHere } from "./context";
import { $, button, el, field, select } from "./dom";
import { distance, freshness, openState } from "./format";
import { icon } from "./icons";
import { t } from "./i18n";
import { distanceAndDirection } from "./list";
import { confirmSection } from "./confirm";
import { openProposal } from "./propose";
import type { Detail, Hit, NavLink, Problem, Service, Station } from "./transport";

const IOS_UA = /iPhone|iPad/i;
const ANDROID_UA = /Android/i;

/** On a phone the map app's own scheme opens it; on a desktop its web page is the way. */
export function linkTarget(link: NavLink, userAgent: string = navigator.userAgent): string {
  // iOS registers its own schemes (Amap: iosamap://); Android the app link; desktops the web page.
  if (IOS_UA.test(userAgent)) return link.ios ?? link.url;
  if (ANDROID_UA.test(userAgent) || !link.web) return link.url;
  return link.web;
}

function reportForm(h: Station, ctx: Context): HTMLFormElement {
  const lang = ctx.lang;
  const form = el("form", "report");
  form.append(el("h3", "", t("report", lang)));
  let problem: Problem = "closed";
  const services = select(
    h.services.map((s) => [s, ctx.labels.service(s, lang)]),
    h.services[0] ?? "",
    () => undefined,
  );
  const serviceField = field(t("whichService", lang), services);
  serviceField.hidden = true;
  const problems = select(
    (ctx.labels.vocab?.problems ?? []).map((p) => [p.id, p[lang]]),
    problem,
    (v) => {
      problem = v as Problem;
      serviceField.hidden = problem !== "service_missing";
    },
  );
  problems.name = "problem";
  const note = el("textarea");
  note.maxLength = 500;
  note.rows = 2;
  const result = el("p", "result");
  result.setAttribute("role", "status");
  const send = el("button", "primary", t("send", lang));
  send.type = "submit";
  form.append(field(t("report", lang), problems), serviceField, field(t("note", lang), note), send, result);
  form.onsubmit = async (e) => {
    e.preventDefault();
    send.disabled = true;
    try {
      await ctx.transport.report({
        station_id: h.id,
        problem,
        service: problem === "service_missing" ? (services.value as Service) : undefined,
        note: note.value.trim() || undefined,
      });
      result.className = "result ok";
      result.textContent = t(ctx.transport.where === "app" ? "reportQueued" : "reportSent", lang);
    } catch (err) {
      result.className = "result error";
      result.textContent = (err as Error).message;
      send.disabled = false;
    }
  };
  return form;
}

function navLinks(d: Detail, ctx: Context): HTMLElement {
  const lang = ctx.lang;
  const nav = el("div", "nav");
  nav.append(el("h3", "", t("navigate", lang)));
  for (const link of d.links) {
    const a = el("a", "navlink", ctx.labels.app(link.app, lang));
    a.href = linkTarget(link);
    a.dataset.app = link.app;
    a.rel = "noopener";
    a.target = "_blank";
    a.onclick = (e) => {
      e.preventDefault();
      void ctx.transport.openUrl(a.href);
    };
    nav.append(a);
  }
  return nav;
}

function render(d: Detail, ctx: Context, known: Hit | undefined, failure: Error | null): HTMLElement {
  const lang = ctx.lang;
  const body = el("div", "detail");
  body.dataset.id = d.id;
  const head = el("div", "top");
  head.append(el("span", `kind kind-${d.kind}`, ctx.labels.kind(d.kind, lang)));
  if (d.source === "synthetic") head.append(el("span", "synthetic", t("synthetic", lang)));
  body.append(head, el("h2", "", d.name));
  body.append(el("p", "address", d.address));
  // How far, which way and whether it is open: the first things a driver needs.
  const state = openState(d, lang, (id, l) => ctx.labels.status(id, l));
  const meta = el("p", "meta");
  meta.append(...distanceAndDirection(d, lang));
  if (known?.along_m !== undefined && known.offset_m !== undefined) {
    meta.append(el("span", "along", t("alongRoute", lang, { along: distance(known.along_m), off: distance(known.offset_m) })));
  }
  meta.append(el("span", `open ${state.tone}`, state.text));
  body.append(meta);
  body.append(el("p", "hours", `${t("hours", lang)}: ${d.opening_hours ?? t("unknown", lang)}`));
  const services = el("ul", "service-list");
  for (const s of d.services) services.append(el("li", "", `${icon(s)} ${ctx.labels.service(s, lang)}`));
  body.append(el("h3", "", t("services", lang)), services);
  if (d.free_truck_spaces !== null) body.append(el("p", "trucks", `🚛 ${t("truckSpaces", lang)}: ${d.free_truck_spaces}`));
  if (d.phone) {
    const a = el("a", "phone", `📞 ${t("phone", lang)}: ${d.phone}`);
    a.href = `tel:${d.phone.replace(/[^0-9+]/g, "")}`;
    body.append(a);
  }
  if (d.notice) body.append(el("p", "notice", `${t("notice", lang)}: ${d.notice}`));
  body.append(el("p", "fresh", t("updated", lang, { when: freshness(d.updated_at, lang) })));
  const nav = navLinks(d, ctx);
  if (failure) nav.append(el("p", "error", `${t("offline", lang)} ${failure.message}`));
  body.append(nav);
  body.append(confirmSection(d, ctx));
  body.append(reportForm(d, ctx));
  const change = button(t("proposeChange", lang), () => openProposal(ctx, d), "secondary");
  change.id = "propose-change";
  body.append(change);
  return body;
}

let opened = 0;

/** Opens a station's detail, fetched fresh with its links and measured from the driver's
 * position (when set). `known` (a list's hit) stands in when the catalog cannot be reached. If
 * another station is opened meanwhile, this one is dropped. */
export async function showDetail(id: string, ctx: Context, known?: Hit) {
  const seq = ++opened;
  const dialog = $("detail") as HTMLDialogElement;
  let detail: Detail | null = null;
  let failure: Error | null = null;
  try {
    detail = await ctx.transport.station(id, fromHere(ctx.settings));
  } catch (e) {
    failure = e as Error;
  }
  if (seq !== opened) return;
  const close = button(t("close", ctx.lang), () => dialog.close(), "primary");
  let body: HTMLElement;
  if (detail || known) {
    body = render(detail ?? { ...known!, links: [] }, ctx, known, failure);
  } else {
    body = el("div", "detail");
    body.append(el("p", "error", `${t("offline", ctx.lang)} ${failure?.message ?? ""}`));
  }
  body.append(close);
  dialog.replaceChildren(body);
  if (!dialog.open) dialog.showModal();
}
