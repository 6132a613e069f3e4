// Who is signed in, and where they were going. The secrets live in sessionStorage (this tab only);
// they leave the browser only in the Authorization header (see api.js).

const STORE_KEY = "srevents.console.credentials";

export function credentials() {
  try {
    const value = JSON.parse(sessionStorage.getItem(STORE_KEY) || "null");
    return value && value.organization && value.user ? value : null;
  } catch {
    return null;
  }
}

export function keepCredentials(creds) {
  sessionStorage.setItem(STORE_KEY, JSON.stringify(creds));
}

export function forgetCredentials() {
  sessionStorage.removeItem(STORE_KEY);
}

// The page asked for before sign-in got in the way, opened once the user has signed in.
let wantedRoute = null;

export function rememberRoute(hash) {
  wantedRoute = hash;
}

export function takeWantedRoute() {
  const hash = wantedRoute;
  wantedRoute = null;
  return hash;
}
