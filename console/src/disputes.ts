// Disputes: the cases whose buyer contests a rejection or a partial refund,
// and those escalated to the platform's arbitrator. Each opens on the case
// page, where the thread, the proposals and the verdict are.
import { h, add } from "./dom";
import { t } from "./i18n";
import { call, query, Case, Page } from "./api";
import { money } from "./format";
import { problemBox, refreshClock } from "./app";
import { deadlineCell } from "./queue";

export async function disputesScreen(root: HTMLElement): Promise<void> {
  await refreshClock();
  add(root, h("h1", null, t("nav.disputes")));
  for (const status of ["disputed", "escalated"]) {
    const sec = h("section", { class: "card", "data-disputes": status }, h("h2", null, t("status." + status)));
    add(root, sec);
    try {
      const p = await call<Page<Case>>("GET", "/v1/staff/cases" + query({ status, limit: 100 }));
      add(sec, p.items.length ? h("table", null, h("tbody", null, p.items.map((c) => h("tr", null,
        h("td", null, h("a", { href: `#/case/${c.id}` }, c.id)), h("td", null, c.order_id), h("td", null, c.dispute ? t("dsp.kind." + c.dispute.kind) : ""),
        h("td", null, c.dispute?.reason ?? ""), h("td", { class: "num" }, money(c.requested_amount - c.refunded_amount, c.currency)),
        h("td", null, t("actor." + (c.next?.actor ?? "")), " ", deadlineCell(c)))))) : h("p", { class: "muted" }, t("queue.empty")));
    } catch (e) { add(sec, problemBox(e)); }
  }
}
