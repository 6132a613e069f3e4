// The instances API: one fetch wrapper that adds the Authorization header and turns refusals into ApiError.
import { announceNext } from "./messages.js";
import { credentials, forgetCredentials, rememberRoute } from "./session.js";

const API_BASE = new URL(".", document.baseURI); // "/" locally, "/v1/" behind an API Gateway stage

function authorization(creds) {
  return `User ${creds.user}, Organization ${creds.organization}`;
}

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `the API answered ${status}`);
    this.status = status;
    this.field = (body && body.field) || null;
  }
}

export async function api(method, path, body, options = {}) {
  return (await exchange(method, path, body, options)).data;
}

// A list endpoint's page: its items (the JSON array) and the next page's token (null on the last page).
export async function apiPage(path, options = {}) {
  const { data, response } = await exchange("GET", path, undefined, options);
  return { items: data, next: response.headers.get("Elements-Next-Page-Token") };
}

async function exchange(method, path, body, { creds = credentials(), signingIn = false } = {}) {
  const headers = { Accept: "application/json" };
  if (creds) headers.Authorization = authorization(creds);
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(new URL(path, API_BASE), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      credentials: "omit",
      redirect: "error",
    });
  } catch (error) {
    throw new ApiError(0, { message: `could not reach the API (${error.message})` });
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { message: text.slice(0, 300) };
  }
  if (!response.ok) {
    const error = new ApiError(response.status, data);
    // The secrets no longer work (revoked, rotated): sign out, and come back here after signing in. A page
    // makes several calls at once; only the first refusal does this, or the later ones would remember the
    // sign-in page itself as the way back.
    if (response.status === 401 && !signingIn && location.hash !== "#/signin") {
      forgetCredentials();
      announceNext({ error: `Signed out: the API refused the secrets (${error.message}). Sign in again.` });
      rememberRoute(location.hash);
      location.hash = "#/signin";
    }
    throw error;
  }
  return { data, response };
}

// The create form's defaults: served beside the page, no credentials needed; read once per page load.
let defaultsCache = null;

export async function loadDefaults() {
  if (!defaultsCache) {
    const response = await fetch(new URL("console/defaults.json", document.baseURI), { cache: "no-store" });
    if (!response.ok) throw new Error(`could not load the default configurations (${response.status})`);
    defaultsCache = await response.json();
  }
  return defaultsCache;
}
