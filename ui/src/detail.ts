// A station's detail: where, when, what it offers, how to get there, and "report a problem".
import type { Context } from "./context";
import { $, button, el, field, select } from "./dom";
import { distance, freshness, openState } from "./format";
import { icon } from "./icons";
import { t } from "./i18n";
import type { Hit, NavLink, Problem } from "./transport";

const PHONE_UA = /Android|iPhone|iPad/i;

/** On a phone the map app's own scheme opens it; on a desktop its web page is the way. */
export function linkTarget(link: NavLink, userAgent: string = navigator.userAgent): string {
  return PHONE_UA.test(userAgent) || !link.web ? link.url : link.web;
}

function reportForm(h: Hit, ctx: Context): HTMLFormElement {
  const lang = ctx.lang;
  const form = el("form", "report");
  form.append(el("h3", "", t("report", lang)));
  let problem: Problem = "closed";
  const services = select(
    h.services.map((s) => [s, ctx.labels.of(s, lang)]),
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
        service: problem === "service_missing" ? services.value : undefined,
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

export async function showDetail(h: Hit, ctx: Context) {
  const lang = ctx.lang;
  const dialog = $("detail") as HTMLDialogElement;
  const body = el("div", "detail");
  const head = el("div", "top");
  head.append(el("span", `kind kind-${h.kind}`, ctx.labels.of(h.kind, lang)));
  if (h.source === "synthetic") head.append(el("span", "synthetic", t("synthetic", lang)));
  body.append(head, el("h2", "", h.name));
  body.append(el("p", "address", h.address));
  if (h.distance_m !== null && h.along_m === undefined) body.append(el("p", "distance", distance(h.distance_m)));
  const state = openState(h, lang);
  const hours = el("p", "hours");
  hours.append(
    `${t("hours", lang)}: ${h.opening_hours ?? t("unknown", lang)} — ${t("today", lang)} `,
    el("span", `open ${state.tone}`, state.text),
  );
  body.append(hours);
  const services = el("ul", "service-list");
  for (const s of h.services) services.append(el("li", "", `${icon(s)} ${ctx.labels.of(s, lang)}`));
  body.append(el("h3", "", t("services", lang)), services);
  if (h.free_truck_spaces !== null) body.append(el("p", "trucks", `🚛 ${t("truckSpaces", lang)}: ${h.free_truck_spaces}`));
  if (h.phone) {
    const a = el("a", "phone", `📞 ${t("phone", lang)}: ${h.phone}`);
    a.href = `tel:${h.phone.replace(/[^0-9+]/g, "")}`;
    body.append(a);
  }
  if (h.notice) body.append(el("p", "notice", `${t("notice", lang)}: ${h.notice}`));
  body.append(el("p", "fresh", t("updated", lang, { when: freshness(h.updated_at, lang) })));
  const nav = el("div", "nav");
  nav.append(el("h3", "", t("navigate", lang)));
  body.append(nav);
  body.append(reportForm(h, ctx));
  body.append(button(t("close", lang), () => dialog.close(), "primary"));
  dialog.replaceChildren(body);
  if (!dialog.open) dialog.showModal();
  try {
    for (const link of await ctx.transport.links(h.id)) {
      const a = el("a", "navlink", ctx.labels.of(link.app, lang));
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
  } catch {
    nav.append(el("p", "error", t("offline", lang)));
  }
}
