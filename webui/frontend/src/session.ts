// The page's session: who is logged in, what the role allows, and the
// CSRF token that every state-changing request of a browser session sends
// in the X-CSRF-Token header (GET /session).

export interface SessionInfo {
  auth: boolean;
  user: string;
  role: string;
  csrf: string;
  can: string[];
  history?: boolean;
}

let current: SessionInfo | null = null;

// Every URL of the page is relative to it (the dashboard is always the
// base path's "/"), so that the UI works under --web-base-path.

// loginURL is the login page, coming back to the current tab.
export function loginURL(): string {
  return "login?next=" + encodeURIComponent("/" + location.hash);
}

// loadSession asks the server who we are; a 401 sends the page to the
// login form.
export async function loadSession(): Promise<SessionInfo | null> {
  const r = await fetch("session", { cache: "no-store" });
  if (r.status === 401) {
    location.href = loginURL();
    return null;
  }
  if (!r.ok) return null;
  current = (await r.json()) as SessionInfo;
  return current;
}

export function session(): SessionInfo | null {
  return current;
}

export function can(what: string): boolean {
  return current !== null && current.can.includes(what);
}

// post sends a state-changing request with the session's CSRF token.
export function post(url: string, body?: BodyInit): Promise<Response> {
  const headers: Record<string, string> = {};
  if (current && current.csrf) headers["X-CSRF-Token"] = current.csrf;
  return fetch(url, { method: "POST", body, headers, cache: "no-store" });
}

// del sends a DELETE request with the session's CSRF token.
export function del(url: string): Promise<Response> {
  const headers: Record<string, string> = {};
  if (current && current.csrf) headers["X-CSRF-Token"] = current.csrf;
  return fetch(url, { method: "DELETE", headers, cache: "no-store" });
}
