// The merchant console's entry point: configuration, sign-in, the header
// and the router. Screens live in their own modules; each renders into
// <main> and may register keyboard shortcuts, dropped on navigation.
import { h, replace, toast } from "./dom";
import { t, lang, setLang } from "./i18n";
import { call, setApiBase, ApiError } from "./api";
import { session, signIn, signOut, fromToken, isStaff } from "./auth";
import { setServerNow } from "./format";
import { queueScreen } from "./queue";
import { caseScreen } from "./case";
import { batchScreen } from "./batch";
import { ledgerScreen } from "./ledger";
import { rulesScreen } from "./rules";
import { inboxScreen, unreadBadge } from "./inbox";
import { disputesScreen } from "./disputes";
import { goodwillScreen } from "./goodwill";
import { oidcSignIn, oidcCallback, OIDCConfig } from "./oidc";

// Config is config.json beside the page: the local stack writes it with
// "signin": "dev" and its clock; the cloud's deployment with the API's URL
// and the user pool's endpoints.
export interface Config { signin: "dev" | "oidc"; api?: string; now?: string; oidc?: OIDCConfig }
let config: Config = { signin: "dev" };

export async function refreshClock(): Promise<void> {
  try {
    const res = await fetch("config.json", { cache: "no-store" });
    if (res.ok) setServerNow(((await res.json()) as Config).now);
  } catch { /* the browser's own clock will do */ }
}

export type Screen = (root: HTMLElement, params: URLSearchParams, arg: string) => void | Promise<void>;

let keyHandler: ((e: KeyboardEvent) => void) | null = null;
// onKeys registers the current screen's shortcuts (replacing the last one's).
export function onKeys(f: (e: KeyboardEvent) => void): void { keyHandler = f; }

let timers: number[] = [];
// every runs f each ms milliseconds until the next navigation.
export function every(ms: number, f: () => void): void { timers.push(window.setInterval(f, ms)); }

export function go(hash: string): void {
  if (location.hash === hash) void render();
  else location.hash = hash;
}

const routes: Record<string, { screen: Screen; title: string; show: () => boolean }> = {
  queue: { screen: queueScreen, title: "nav.queue", show: () => true },
  case: { screen: caseScreen, title: "nav.case", show: () => false },
  batch: { screen: batchScreen, title: "nav.batch", show: isStaff },
  ledger: { screen: ledgerScreen, title: "nav.ledger", show: isStaff },
  rules: { screen: rulesScreen, title: "nav.rules", show: isStaff },
  disputes: { screen: disputesScreen, title: "nav.disputes", show: () => true },
  goodwill: { screen: goodwillScreen, title: "nav.goodwill", show: isStaff },
  inbox: { screen: inboxScreen, title: "nav.inbox", show: () => true },
};

async function render(): Promise<void> {
  const app = document.getElementById("app")!;
  keyHandler = null;
  timers.forEach((id) => clearInterval(id));
  timers = [];
  document.documentElement.lang = lang();
  document.title = t("title");
  const s = session();
  if (!s) {
    replace(app, signInPage());
    return;
  }
  const [path, qs] = location.hash.replace(/^#\/?/, "").split("?");
  const [name, ...rest] = (path || "queue").split("/");
  const route = routes[name] ?? routes.queue;
  const main = h("main", { id: "main" });
  const badge = h("span", { class: "badge", "data-unread": "" });
  const nav = h("nav", null, Object.entries(routes).filter(([, r]) => r.show()).map(([k, r]) =>
    h("a", { href: `#/${k}`, class: k === name ? "active" : "", "data-nav": k }, t(r.title), k === "inbox" ? [" ", badge] : null)));
  replace(app,
    h("header", { class: "top" },
      h("span", { class: "brand" }, t("title")), nav,
      h("span", { class: "who", "data-who": "" }, `${s.sub} · ${s.roles.map((r) => t("role." + r)).join(", ")}`),
      h("button", { type: "button", "data-lang": "", onclick: () => { setLang(lang() === "zh-CN" ? "en" : "zh-CN"); void render(); } }, lang() === "zh-CN" ? "English" : "中文"),
      h("button", { type: "button", onclick: () => { signOut(); go("#/signin"); } }, t("signout"))),
    main);
  void unreadBadge(badge);
  try {
    await route.screen(main, new URLSearchParams(qs ?? ""), decodeURIComponent(rest.join("/")));
  } catch (e) {
    main.appendChild(problemBox(e));
  }
}

// problemBox shows an error: the problem's detail and each field it names.
export function problemBox(e: unknown): HTMLElement {
  if (e instanceof ApiError) {
    const p = e.problem;
    return h("div", { class: "problem", role: "alert", "data-problem": String(p.status) },
      h("strong", null, `${p.status || ""} ${p.title}`), p.detail ? ` — ${p.detail}` : "",
      p.errors?.length ? h("ul", null, p.errors.map((f) => h("li", null, h("code", null, f.field), ": ", f.message))) : null);
  }
  return h("div", { class: "problem", role: "alert" }, String(e));
}

function signInPage(): HTMLElement {
  if (config.signin === "oidc" && config.oidc) {
    const o = config.oidc;
    return h("section", { class: "card signin" }, h("h1", null, t("title")), langSwitch(),
      h("button", { class: "primary", type: "button", onclick: () => void oidcSignIn(o) }, t("signin.oidc")));
  }
  const err = h("div");
  const sub = h("input", { name: "sub", required: true, value: "staff-1", autocomplete: "username" });
  const role = h("select", { name: "role" }, ["reviewer", "admin", "arbitrator"].map((r) => h("option", { value: r }, t("role." + r))));
  const form = h("form", {
    onsubmit: async (e: Event) => {
      e.preventDefault();
      replace(err);
      try {
        const res = await call<{ token: string }>("POST", "/dev/token", { sub: sub.value.trim(), roles: [role.value] });
        signIn(fromToken(res.token));
        if (!location.hash || location.hash.startsWith("#/signin")) location.hash = "#/queue";
        else void render();
      } catch (ex) {
        err.appendChild(problemBox(ex));
      }
    },
  },
  h("div", { class: "field" }, h("label", { class: "f" }, t("signin.sub"), sub)),
  h("div", { class: "field" }, h("label", { class: "f" }, t("signin.role"), role)),
  h("button", { class: "primary", type: "submit", "data-signin": "" }, t("signin.go")), err);
  return h("section", { class: "card signin" }, h("h1", null, t("title")), langSwitch(), h("p", { class: "muted" }, t("signin.dev")), form);
}

function langSwitch(): HTMLElement {
  return h("p", null, h("button", { type: "button", "data-lang": "", onclick: () => { setLang(lang() === "zh-CN" ? "en" : "zh-CN"); void render(); } }, lang() === "zh-CN" ? "English" : "中文"));
}

document.addEventListener("keydown", (e) => {
  const tgt = e.target as HTMLElement;
  if (e.ctrlKey || e.metaKey || e.altKey || ["INPUT", "TEXTAREA", "SELECT"].includes(tgt.tagName)) return;
  keyHandler?.(e);
});

async function boot(): Promise<void> {
  try {
    const res = await fetch("config.json", { cache: "no-store" });
    if (res.ok) config = { ...config, ...((await res.json()) as Config) };
  } catch { /* defaults: local sign-in, same origin */ }
  setApiBase(config.api);
  setServerNow(config.now);
  if (config.signin === "oidc" && config.oidc && new URLSearchParams(location.search).has("code")) {
    try {
      signIn(fromToken(await oidcCallback(config.oidc)));
    } catch (e) {
      toast(String(e));
    }
  }
  window.addEventListener("hashchange", () => void render());
  await render();
}

void boot();

