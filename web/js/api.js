// The HTTP contract (docs/openapi.yaml), and nothing else: JSON in and out, a bearer token.

let base = "/api";
const TOKEN_KEY = "cet.token";
/** config.json as read: `api_base`, and on the local demo stack a `demo` guide. */
export const siteConfig = {};

export class ApiError extends Error {
  constructor(status, code, serverMessage, retryAfter = null, details = null) {
    super(code);
    this.status = status;
    this.code = code;
    this.serverMessage = serverMessage;
    this.retryAfter = retryAfter;
    this.details = details; // the refusal's body as sent: fields beside code and message, if any
  }
}

/** Reads config.json once: the API base URL, so the page can be served from anywhere. */
export async function configure() {
  try {
    const response = await fetch("config.json", { cache: "no-cache" });
    if (response.ok) {
      const config = await response.json();
      Object.assign(siteConfig, config);
      if (typeof config.api_base === "string" && config.api_base) base = config.api_base.replace(/\/+$/, "");
    }
  } catch {
    // keep the same-origin default
  }
}

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

export async function call(method, path, body = undefined) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const bearer = token.get();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  let response;
  try {
    response = await fetch(base + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "NETWORK", null);
  }
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const code = data && typeof data.code === "string" ? data.code : "UNEXPECTED";
    throw new ApiError(response.status, code, data?.message ?? null, response.headers.get("Retry-After"), data);
  }
  return data;
}

export const get = (path) => call("GET", path);
export const post = (path, body = {}) => call("POST", path, body);
export const put = (path, body) => call("PUT", path, body);
export const del = (path) => call("DELETE", path);

/** A file the API answers (a receipt): fetched with the bearer token in a header, never in the URL. */
export async function download(path, accept) {
  const headers = { Accept: accept };
  const bearer = token.get();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  let response;
  try {
    response = await fetch(base + path, { headers });
  } catch {
    throw new ApiError(0, "NETWORK", null);
  }
  if (!response.ok) {
    const data = await response.json().catch(() => null);
    const code = data && typeof data.code === "string" ? data.code : "UNEXPECTED";
    throw new ApiError(response.status, code, data?.message ?? null, response.headers.get("Retry-After"));
  }
  return response.blob();
}
