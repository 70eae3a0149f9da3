// Sign-in in the cloud: the OAuth 2.0 authorization-code flow with PKCE
// (RFC 7636) against the user pool's or the merchant's own issuer. The
// verifier never leaves this tab; the code is exchanged once.

export interface OIDCConfig { authorize: string; token: string; client_id: string; redirect_uri: string; scope?: string }

const KEY = "aftersales.console.pkce";

function b64url(bytes: Uint8Array): string {
  let s = "";
  bytes.forEach((b) => (s += String.fromCharCode(b)));
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export async function oidcSignIn(o: OIDCConfig): Promise<void> {
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = b64url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = b64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))));
  sessionStorage.setItem(KEY, JSON.stringify({ verifier, state }));
  const q = new URLSearchParams({ response_type: "code", client_id: o.client_id, redirect_uri: o.redirect_uri,
    scope: o.scope ?? "openid", code_challenge: challenge, code_challenge_method: "S256", state });
  location.assign(`${o.authorize}?${q}`);
}

// oidcCallback exchanges the code of the redirect for the access token
// (the one whose audience is the API) and removes the code from the URL.
export async function oidcCallback(o: OIDCConfig): Promise<string> {
  const q = new URLSearchParams(location.search);
  const saved = JSON.parse(sessionStorage.getItem(KEY) ?? "{}") as { verifier?: string; state?: string };
  sessionStorage.removeItem(KEY);
  history.replaceState(null, "", location.pathname + location.hash);
  if (!saved.verifier || q.get("state") !== saved.state) throw new Error("sign-in: the state does not match; sign in again");
  const res = await fetch(o.token, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", code: q.get("code") ?? "", redirect_uri: o.redirect_uri,
      client_id: o.client_id, code_verifier: saved.verifier }) });
  if (!res.ok) throw new Error(`sign-in: the token endpoint answered ${res.status}`);
  const body = (await res.json()) as { access_token?: string };
  if (!body.access_token) throw new Error("sign-in: no access token");
  return body.access_token;
}
