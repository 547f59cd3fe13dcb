// Calls to edgesim's control surface, carrying the admin token when one is known.
// The token comes from ?token= once (then lives in localStorage, off the address bar) or from
// the banner shown after a 401.

const KEY = "edgesim.adminToken";

export function adoptTokenFromUrl() {
  const query = new URLSearchParams(location.search);
  if (!query.has("token")) return;
  setToken(query.get("token"));
  query.delete("token");
  const rest = query.toString();
  history.replaceState(null, "", location.pathname + (rest ? "?" + rest : "") + location.hash);
}

export function token() {
  return localStorage.getItem(KEY) || "";
}

export function setToken(value) {
  if (value) localStorage.setItem(KEY, value);
  else localStorage.removeItem(KEY);
}

// For what the browser fetches itself (EventSource, links): headers cannot be set there.
export function withToken(path) {
  const t = token();
  if (!t) return path;
  return path + (path.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(t);
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export async function call(method, path, body) {
  const headers = {};
  if (token()) headers["X-Admin-Token"] = token();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) {
    if (response.status === 401) document.dispatchEvent(new CustomEvent("edgesim:unauthorized"));
    throw new ApiError(response.status, (data && data.error_msg) || `${method} ${path}: ${response.status}`);
  }
  return data;
}
