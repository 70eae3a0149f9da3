// The notifications inbox: staff read the one staff inbox (new disputes,
// buyers' messages, escalations, missed deadlines), arbitrators the
// platform's.
import { h, replace, add } from "./dom";
import { t } from "./i18n";
import { call, Page, Notification } from "./api";
import { dateTime } from "./format";
import { go, problemBox } from "./app";

export async function unreadBadge(el: HTMLElement): Promise<void> {
  try {
    const p = await call<Page<Notification> & { unread: number }>("GET", "/v1/notifications?limit=1");
    el.textContent = String(p.unread);
    el.hidden = p.unread === 0;
  } catch {
    el.hidden = true;
  }
}

export async function inboxScreen(root: HTMLElement, params: URLSearchParams): Promise<void> {
  const cursor = params.get("cursor") ?? "";
  const p = await call<Page<Notification> & { unread: number }>("GET", "/v1/notifications" + (cursor ? `?cursor=${encodeURIComponent(cursor)}` : ""));
  const err = h("div");
  add(root, h("h1", null, t("nav.inbox"), " ", h("span", { class: "badge" }, t("inbox.unread", p.unread))), err,
    p.items.length ? h("table", { "data-inbox": "" }, h("tbody", null, p.items.map((n) => {
      const read = h("td");
      if (!n.read_at) read.appendChild(h("button", { type: "button", onclick: async () => {
        try { await call("POST", `/v1/notifications/${n.id}/read`, {}); replace(read, t("inbox.read")); } catch (e) { err.appendChild(problemBox(e)); }
      } }, t("inbox.mark_read")));
      else read.textContent = t("inbox.read");
      return h("tr", { class: n.read_at ? "muted" : "" }, h("td", null, dateTime(n.created_at)), h("td", null, h("span", { class: "badge" }, n.kind)),
        h("td", null, h("strong", null, n.title), h("div", null, n.body)), h("td", null, n.case_id ? h("a", { href: `#/case/${n.case_id}` }, n.case_id) : ""), read);
    }))) : h("p", { class: "notice" }, t("inbox.empty")),
    p.next_cursor ? h("button", { type: "button", onclick: () => go(`#/inbox?cursor=${encodeURIComponent(p.next_cursor!)}`) }, t("queue.more")) : null);
}
