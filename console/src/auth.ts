// The staff member's session: a bearer token kept in sessionStorage (it
// ends with the tab), with the roles read from its claims to decide which
// actions to offer. The API checks every call itself; hiding an action the
// role may not take only spares the user a 403.

export interface Session { token: string; sub: string; roles: string[]; exp: number }

const KEY = "aftersales.console.session";

export function session(): Session | null {
  const raw = sessionStorage.getItem(KEY);
  if (!raw) return null;
  try {
    const s = JSON.parse(raw) as Session;
    if (s.exp && s.exp * 1000 < Date.now()) return null;
    return s;
  } catch {
    return null;
  }
}

// fromToken reads sub, roles and exp from a JWT's payload (not verified
// here: the API verifies it on every call).
export function fromToken(token: string): Session {
  const part = token.split(".")[1] ?? "";
  const json = atob(part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "="));
  const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0)))) as { sub?: string; roles?: string[]; "cognito:groups"?: string[]; exp?: number };
  return { token, sub: claims.sub ?? "", roles: claims.roles ?? claims["cognito:groups"] ?? [], exp: claims.exp ?? 0 };
}

export function signIn(s: Session): void { sessionStorage.setItem(KEY, JSON.stringify(s)); }
export function signOut(): void { sessionStorage.removeItem(KEY); }

export function has(role: string): boolean { return session()?.roles.includes(role) ?? false; }
export function isStaff(): boolean { return has("reviewer") || has("admin"); }
export function isAdmin(): boolean { return has("admin"); }
export function canArbitrate(): boolean { return has("arbitrator") || has("admin"); }
