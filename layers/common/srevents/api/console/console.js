// srevents console: a small single-page app over the public instances API. No build step, no libraries.
// Credentials live in sessionStorage (this tab only) and travel only in the Authorization header.
// Everything the API returns is put on the page as text (textContent), never as HTML.
"use strict";

(() => {
  const STORE_KEY = "srevents.console.credentials";
  const API_BASE = new URL(".", document.baseURI); // "/" locally, "/v1/" behind an API Gateway stage
  const RESOURCE_LABELS = {
    candidates: "Candidates",
    jobs: "Jobs",
    users: "Users",
  };
  const FIELD_TARGETS = [
    ["name", "name"],
    ["tags", "tags"],
    ["configuration.api.key", "api-key"],
    ["configuration.event.notification.callback.url", "callback-url"],
    ["configuration.event.notification.signature.key", "signature-key"],
    ["configuration.event.poller.refresh_interval", "interval"],
  ];
  const REFRESH_AFTER_POLL_MS = 30000;
  const REFRESH_EVERY_MS = 1000;

  const $ = (selector, root = document) => root.querySelector(selector);
  const view = () => $("#view");

  // ---------------------------------------------------------------------------------------------
  // DOM helpers: every string becomes a text node.
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") el.className = value;
      else if (key === "text") el.textContent = value;
      else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : String(child));
    }
    return el;
  }

  // Replace the page's content; null/false entries (optional parts) are left out.
  function render(...nodes) {
    view().replaceChildren(...nodes.flat(Infinity).filter((node) => node !== null && node !== undefined && node !== false));
  }

  const dash = "—";

  function fmtTime(iso) {
    if (!iso) return dash;
    const text = String(iso).replace("T", " ").replace(/\.\d+/, "").replace(/(Z|\+00:00)$/, " UTC");
    return h("time", { datetime: iso }, text);
  }

  // Notification ids start with their time (so they sort), which notifications of one poll share:
  // the tail, a hash, is what tells them apart.
  function shortId(id) {
    return `…${String(id).slice(-12)}`;
  }

  function badge(text, kind) {
    return h("span", { class: `badge badge-${kind}` }, text);
  }

  function statusBadge(status) {
    const kinds = { DELIVERED: "ok", RETRYING: "warn", FAILED: "bad", GONE: "bad", PENDING: "muted" };
    return badge(status || "UNKNOWN", kinds[status] || "muted");
  }

  function resultBadge(result) {
    if (!result) return badge("never polled", "muted");
    const kinds = { ok: "ok", partial: "warn", error: "bad" };
    return badge(result, kinds[result] || "muted");
  }

  function table(caption, headers, rows, { captionHidden = false } = {}) {
    return h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "table" },
        h("caption", { class: captionHidden ? "visually-hidden" : null }, caption),
        h("thead", {}, h("tr", {}, headers.map((name) => h("th", { scope: "col" }, name)))),
        h("tbody", {}, rows),
      ),
    );
  }

  // A table row whose cells carry their column name, shown as a label when the table is stacked (narrow).
  function row(headers, cells, attrs) {
    return h(
      "tr",
      attrs || {},
      cells.map((cell, i) => h(i === 0 ? "th" : "td", { scope: i === 0 ? "row" : null, "data-label": headers[i] }, cell)),
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Messages: a polite status line and an assertive alert, both live regions that exist from the start.
  let pendingNotice = null;

  function notify(text) {
    $("#alert").textContent = "";
    $("#notice").textContent = text;
  }

  function showError(text) {
    $("#notice").textContent = "";
    $("#alert").textContent = text;
  }

  function clearMessages() {
    $("#notice").textContent = "";
    $("#alert").textContent = "";
  }

  // ---------------------------------------------------------------------------------------------
  // Credentials and the API.
  function credentials() {
    try {
      const value = JSON.parse(sessionStorage.getItem(STORE_KEY) || "null");
      return value && value.organization && value.user ? value : null;
    } catch {
      return null;
    }
  }

  function authorization(creds) {
    return `User ${creds.user}, Organization ${creds.organization}`;
  }

  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.message) || `the API answered ${status}`);
      this.status = status;
      this.field = (body && body.field) || null;
    }
  }

  async function api(method, path, body, { creds = credentials(), signingIn = false } = {}) {
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
      if (response.status === 401 && !signingIn) {
        sessionStorage.removeItem(STORE_KEY);
        pendingNotice = { error: `Signed out: the API refused the secrets (${error.message}). Sign in again.` };
        wantedRoute = location.hash;
        location.hash = "#/signin";
      }
      throw error;
    }
    return data;
  }

  // ---------------------------------------------------------------------------------------------
  // Router.
  let generation = 0;
  let wantedRoute = null;
  let timers = [];
  let firstRender = true;

  const ROUTES = [
    [/^#\/signin$/, viewSignIn, "signin"],
    [/^#\/instances$/, viewInstances, "instances"],
    [/^#\/create$/, viewCreate, "create"],
    [/^#\/instances\/(\d+)$/, viewInstance, "instances"],
    [/^#\/instances\/(\d+)\/events\/([0-9a-fA-F-]{36})$/, viewNotification, "instances"],
  ];

  function stopTimers() {
    for (const timer of timers) clearTimeout(timer);
    timers = [];
  }

  async function route() {
    const hash = location.hash || "#/instances";
    if (!hash.startsWith("#/")) return; // the skip link, not a page
    const signedIn = Boolean(credentials());
    if (!signedIn && hash !== "#/signin") {
      wantedRoute = hash;
      location.replace("#/signin");
      return;
    }
    if (signedIn && hash === "#/signin") {
      location.replace("#/instances");
      return;
    }
    const found = ROUTES.map(([pattern, handler, nav]) => [hash.match(pattern), handler, nav]).find(([m]) => m);
    if (!found) {
      location.replace("#/instances");
      return;
    }
    const [match, handler, nav] = found;
    generation += 1;
    const mine = generation;
    stopTimers();
    clearMessages();
    if (pendingNotice) {
      if (pendingNotice.error) showError(pendingNotice.error);
      else notify(pendingNotice.text);
      pendingNotice = null;
    }
    $("#nav").hidden = !signedIn;
    for (const link of document.querySelectorAll("[data-nav]")) {
      if (link.dataset.nav === nav) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    render(h("p", { class: "loading" }, "Loading…"));
    view().setAttribute("aria-busy", "true");
    try {
      await handler({ params: match.slice(1), isCurrent: () => mine === generation });
    } catch (error) {
      if (mine !== generation) return;
      render(h("h1", { tabindex: "-1" }, "Something went wrong"));
      showError(error.message);
    } finally {
      if (mine === generation) view().removeAttribute("aria-busy");
    }
    if (mine !== generation) return;
    const heading = $("h1", view());
    if (!firstRender && heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus();
    }
    firstRender = false;
  }

  function later(fn, ms) {
    const timer = setTimeout(fn, ms);
    timers.push(timer);
  }

  // ---------------------------------------------------------------------------------------------
  // Sign in.
  async function viewSignIn() {
    document.title = "Sign in · srevents console";
    const errorBox = h("p", { class: "form-error", id: "signin-error", role: "alert" });
    const form = h(
      "form",
      { class: "card form narrow-form", method: "post", novalidate: true, "aria-labelledby": "signin-title" },
      h("h1", { id: "signin-title" }, "Sign in"),
      h(
        "p",
        { class: "hint" },
        "Your organization's secret and your user secret (printed by ",
        h("code", {}, "make run"),
        " or by the admin command). They are kept in this browser tab only and sent only in the Authorization header.",
      ),
      field({ id: "org-secret", label: "Organization secret", type: "password", autocomplete: "off", required: true }),
      field({ id: "user-secret", label: "User secret", type: "password", autocomplete: "off", required: true }),
      errorBox,
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Sign in")),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearFieldErrors(form);
      errorBox.textContent = "";
      const organization = $("#org-secret").value.trim();
      const user = $("#user-secret").value.trim();
      if (!organization) return setFieldError("org-secret", "Enter your organization secret.");
      if (!user) return setFieldError("user-secret", "Enter your user secret.");
      const button = $("button[type=submit]", form);
      button.disabled = true;
      try {
        await api("GET", "instances", undefined, { creds: { organization, user }, signingIn: true });
        sessionStorage.setItem(STORE_KEY, JSON.stringify({ organization, user }));
        const next = wantedRoute && wantedRoute !== "#/signin" ? wantedRoute : "#/instances";
        wantedRoute = null;
        location.hash = next;
      } catch (error) {
        errorBox.textContent =
          error.status === 401
            ? `Sign-in failed: ${error.message}. Check both secrets.`
            : `Sign-in failed: ${error.message}`;
        $("#org-secret").focus();
      } finally {
        button.disabled = false;
      }
    });
    render(form);
    $("#org-secret").focus();
  }

  // ---------------------------------------------------------------------------------------------
  // Form fields with a label, an optional hint and an error line beside them.
  function field({ id, label, hint, type = "text", value, required, ...rest }) {
    const describedBy = [hint ? `${id}-hint` : null, `${id}-error`].filter(Boolean).join(" ");
    return h(
      "div",
      { class: "field", id: `${id}-field` },
      h("label", { for: id }, label, required ? null : h("span", { class: "optional" }, " (optional)")),
      hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null,
      h("input", {
        id,
        name: id,
        type,
        value: value ?? null,
        "aria-describedby": describedBy,
        "aria-required": required ? "true" : null,
        ...rest,
      }),
      h("p", { class: "field-error", id: `${id}-error`, "aria-live": "assertive" }),
    );
  }

  function setFieldError(id, message) {
    const control = document.getElementById(id);
    const box = document.getElementById(`${id}-error`);
    if (box) box.textContent = message;
    if (control) {
      if (control.matches("input, textarea, select")) control.setAttribute("aria-invalid", "true");
      const details = control.closest("details");
      if (details) details.open = true;
      control.focus();
    }
  }

  function clearFieldErrors(root) {
    for (const box of root.querySelectorAll(".field-error")) box.textContent = "";
    for (const control of root.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
  }

  // ---------------------------------------------------------------------------------------------
  // Instances.
  function intervalOf(instance) {
    const value = (instance.configuration || {})["event.poller.refresh_interval"];
    return value === undefined || value === null ? dash : `${value} min`;
  }

  function stateBadges(instance) {
    return h(
      "span",
      { class: "badges" },
      instance.disabled ? badge("Disabled", "muted") : badge("Enabled", "ok"),
      instance.eventsEnabled ? null : badge("Events off", "muted"),
      instance.notificationsSuspended ? badge("Notifications suspended", "bad") : null,
    );
  }

  function tagList(tags) {
    if (!tags || !tags.length) return dash;
    return h(
      "ul",
      { class: "tags" },
      tags.map((tag) => h("li", { class: "tag" }, tag)),
    );
  }

  function lastPolls(poller) {
    if (!poller) return dash;
    if (!poller.resources || !poller.resources.length) return dash;
    return h(
      "ul",
      { class: "polls" },
      poller.resources.map((r) =>
        h(
          "li",
          {},
          h("span", { class: "resource-name" }, r.resource),
          " ",
          resultBadge(r.lastResult),
          r.lastRunFinished ? h("span", { class: "muted small" }, " ", fmtTime(r.lastRunFinished)) : null,
        ),
      ),
    );
  }

  async function toggleEnabled(instance) {
    const enable = instance.disabled;
    await api(enable ? "PUT" : "DELETE", `instances/${instance.id}/enabled`);
    return enable;
  }

  async function deleteInstance(instance) {
    const ok = await confirmDialog({
      title: "Delete instance?",
      message:
        `Delete “${instance.name}” (id ${instance.id})? Its schedule and poller state are removed at once; ` +
        "its notification log expires later. This cannot be undone.",
      confirmLabel: "Delete instance",
    });
    if (!ok) return false;
    await api("DELETE", `instances/${instance.id}`);
    return true;
  }

  async function viewInstances({ isCurrent }) {
    document.title = "Instances · srevents console";
    const instances = await api("GET", "instances");
    const pollers = await Promise.all(
      instances.map((i) => api("GET", `instances/${i.id}/poller`).catch(() => null)),
    );
    if (!isCurrent()) return;
    const headers = ["Name", "ID", "Tags", "State", "Interval", "Last poll", "Actions"];
    const rows = instances.map((instance, index) =>
      row(
        headers,
        [
          h("a", { href: `#/instances/${instance.id}` }, instance.name),
          String(instance.id),
          tagList(instance.tags),
          stateBadges(instance),
          intervalOf(instance),
          lastPolls(pollers[index]),
          h(
            "div",
            { class: "row-actions" },
            h(
              "button",
              {
                type: "button",
                class: "small",
                "data-toggle": instance.id,
                "aria-label": `${instance.disabled ? "Enable" : "Disable"} ${instance.name} (id ${instance.id})`,
                onclick: async (event) => {
                  event.currentTarget.disabled = true;
                  try {
                    const enabled = await toggleEnabled(instance);
                    pendingNotice = { text: `Instance ${instance.id} ${enabled ? "enabled" : "disabled"}.` };
                    await rerender(`[data-toggle="${instance.id}"]`);
                  } catch (error) {
                    showError(error.message);
                    event.currentTarget.disabled = false;
                  }
                },
              },
              instance.disabled ? "Enable" : "Disable",
            ),
            h(
              "button",
              {
                type: "button",
                class: "small danger",
                "aria-label": `Delete ${instance.name} (id ${instance.id})`,
                onclick: async () => {
                  try {
                    if (await deleteInstance(instance)) {
                      pendingNotice = { text: `Instance ${instance.id} (“${instance.name}”) deleted.` };
                      await rerender("#refresh-instances");
                    }
                  } catch (error) {
                    showError(error.message);
                  }
                },
              },
              "Delete",
            ),
          ),
        ],
        { "data-instance": instance.id },
      ),
    );
    render(
      h(
        "div",
        { class: "page-head" },
        h("h1", {}, "Instances"),
        h(
          "div",
          { class: "toolbar" },
          h("a", { class: "button primary", href: "#/create" }, "Create instance"),
          h("button", { type: "button", id: "refresh-instances", onclick: () => rerender("#refresh-instances") }, "Refresh"),
        ),
      ),
      instances.length
        ? table("Your organization's element instances", headers, rows, { captionHidden: true })
        : h(
            "div",
            { class: "card empty" },
            h("p", {}, "No instances yet."),
            h("p", {}, h("a", { href: "#/create" }, "Create the first one"), " to start polling SmartRecruiters."),
          ),
    );
  }

  // Render the current page again in place, keeping focus on an equivalent control.
  async function rerender(focusSelector) {
    const notice = pendingNotice;
    pendingNotice = null;
    const hashNow = location.hash;
    generation += 1;
    const mine = generation;
    stopTimers();
    const found = ROUTES.map(([pattern, handler]) => [hashNow.match(pattern), handler]).find(([m]) => m);
    if (!found) return;
    try {
      await found[1]({ params: found[0].slice(1), isCurrent: () => mine === generation });
    } catch (error) {
      showError(error.message);
      return;
    }
    if (notice) notify(notice.text);
    const target = (focusSelector && $(focusSelector, view())) || $("h1", view());
    if (target) {
      if (!target.matches("a, button, input, select, textarea")) target.setAttribute("tabindex", "-1");
      target.focus();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Create instance.
  let defaultsCache = null;

  async function loadDefaults() {
    if (!defaultsCache) {
      const response = await fetch(new URL("console/defaults.json", document.baseURI), { cache: "no-store" });
      if (!response.ok) throw new Error(`could not load the default configurations (${response.status})`);
      defaultsCache = await response.json();
    }
    return defaultsCache;
  }

  function resourceBlock(name, config, checked) {
    const id = `res-${name}`;
    return h(
      "div",
      { class: "resource" },
      h(
        "div",
        { class: "check" },
        h("input", {
          type: "checkbox",
          id,
          name: "resources",
          value: name,
          checked,
          "aria-describedby": `${id}-desc ${id}-error`,
        }),
        h("label", { for: id }, RESOURCE_LABELS[name] || name),
      ),
      h("p", { class: "hint", id: `${id}-desc` }, "Polls ", h("code", {}, config.url.split("?")[0]), " for new and updated records."),
      h(
        "details",
        { class: "json-editor" },
        h("summary", {}, `Configuration of ${name} (JSON, for experts)`),
        h("label", { for: `${id}-json`, class: "visually-hidden" }, `Configuration of ${name} as JSON`),
        h(
          "textarea",
          { id: `${id}-json`, rows: "14", spellcheck: "false", autocapitalize: "off", "aria-describedby": `${id}-error` },
          JSON.stringify(config, null, 2),
        ),
      ),
      h("p", { class: "field-error", id: `${id}-error`, "aria-live": "assertive" }),
    );
  }

  function errorTarget(fieldPath, resources) {
    if (!fieldPath) return null;
    const match = /^configuration\.event\.poller\.configuration\.([^.[]+)/.exec(fieldPath);
    if (match && resources.includes(match[1])) return `res-${match[1]}-json`;
    if (fieldPath.startsWith("configuration.event.poller.configuration")) return "resources";
    for (const [prefix, id] of FIELD_TARGETS) {
      if (fieldPath === prefix || fieldPath.startsWith(`${prefix}.`) || fieldPath.startsWith(`${prefix}[`)) return id;
    }
    return null;
  }

  function errorBoxFor(target) {
    if (target && target.startsWith("res-") && target.endsWith("-json")) return target.replace(/-json$/, "");
    return target;
  }

  async function viewCreate({ isCurrent }) {
    document.title = "Create instance · srevents console";
    const defaults = await loadDefaults();
    if (!isCurrent()) return;
    const resources = Object.keys(defaults.resources);
    const formError = h("p", { class: "form-error", id: "create-error", role: "alert" });
    const interval = defaults.refreshInterval || { default: 15, min: 1, max: 1440 };
    const form = h(
      "form",
      { class: "card form", method: "post", novalidate: true, "aria-labelledby": "create-title", id: "create-form" },
      h("h1", { id: "create-title" }, "Create instance"),
      h(
        "p",
        { class: "hint" },
        "The instance polls SmartRecruiters every interval and POSTs signed notifications to your callback URL.",
      ),
      h(
        "div",
        { class: "grid" },
        field({ id: "name", label: "Name", required: true, autocomplete: "off" }),
        field({ id: "tags", label: "Tags", hint: "Comma-separated.", autocomplete: "off" }),
        field({
          id: "api-key",
          label: "SmartRecruiters API key",
          type: "password",
          autocomplete: "off",
          required: true,
          hint: "Sent once, stored encrypted, never shown again.",
        }),
        field({
          id: "callback-url",
          label: "Callback URL",
          type: "url",
          inputmode: "url",
          autocomplete: "off",
          required: true,
          hint: "Where notifications are POSTed: an https URL (http and private addresses only where the deployment allows them).",
        }),
        field({
          id: "signature-key",
          label: "Signature key",
          type: "password",
          autocomplete: "off",
          hint: "Signs every notification (HMAC-SHA256 and Standard Webhooks headers).",
        }),
        field({
          id: "interval",
          label: "Interval (minutes)",
          inputmode: "numeric",
          value: String(interval.default),
          required: true,
          hint: `Minutes between polls, ${interval.min} to ${interval.max}.`,
        }),
      ),
      h(
        "fieldset",
        { class: "resources", id: "resources", tabindex: "-1", "aria-describedby": "resources-hint resources-error" },
        h("legend", {}, "Resources to poll"),
        h(
          "p",
          { class: "hint", id: "resources-hint" },
          "Each ticked resource is polled with the element's default configuration; open its JSON to change it.",
        ),
        resources.map((name) =>
          resourceBlock(name, defaults.resources[name], (defaults.defaultResources || []).includes(name)),
        ),
        h("p", { class: "field-error", id: "resources-error", "aria-live": "assertive" }),
      ),
      formError,
      h(
        "div",
        { class: "actions" },
        h("button", { type: "submit", class: "primary" }, "Create instance"),
        h("a", { class: "button", href: "#/instances" }, "Cancel"),
      ),
    );

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearFieldErrors(form);
      formError.textContent = "";
      const poller = {};
      for (const name of resources) {
        if (!$(`#res-${name}`).checked) continue;
        try {
          poller[name] = JSON.parse($(`#res-${name}-json`).value);
        } catch (error) {
          $(`#res-${name}-error`).textContent = `The configuration of ${name} is not valid JSON: ${error.message}`;
          setFieldError(`res-${name}-json`, $(`#res-${name}-error`).textContent);
          return;
        }
      }
      const configuration = {
        "api.key": $("#api-key").value,
        "event.notification.enabled": true,
        "event.vendor.type": "polling",
        "event.notification.callback.url": $("#callback-url").value.trim(),
        "event.poller.refresh_interval": $("#interval").value.trim(),
        "event.poller.configuration": poller,
      };
      const signatureKey = $("#signature-key").value;
      if (signatureKey) configuration["event.notification.signature.key"] = signatureKey;
      const tags = $("#tags")
        .value.split(",")
        .map((t) => t.trim())
        .filter(Boolean);
      const body = { element: { key: defaults.element || "smartrecruiters" }, name: $("#name").value.trim(), tags, configuration };
      const button = $("button[type=submit]", form);
      button.disabled = true;
      try {
        const created = await api("POST", "instances", body);
        showCreated(created);
      } catch (error) {
        if (error.status === 401) return;
        const target = errorTarget(error.field, resources);
        if (target) {
          const box = errorBoxFor(target);
          $(`#${box}-error`).textContent = error.message;
          setFieldError(target, error.message);
          if (target === "resources") $("#resources input[type=checkbox]").focus();
        } else {
          formError.textContent = `The API refused the instance: ${error.message}`;
        }
      } finally {
        button.disabled = false;
      }
    });
    render(form);
  }

  function showCreated(instance) {
    const tokenId = "new-token";
    const panel = h(
      "section",
      { class: "card created", "aria-labelledby": "created-title" },
      h("h1", { id: "created-title", tabindex: "-1" }, "Instance created"),
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, "Instance id"),
        h("dd", { id: "new-instance-id" }, String(instance.id)),
        h("dt", {}, "Token"),
        h("dd", {}, h("code", { id: tokenId, class: "token" }, instance.token)),
      ),
      h(
        "p",
        { class: "warning" },
        "Copy the token now: it is shown only once. Add ",
        h("code", {}, ", Element <token>"),
        " to the Authorization header to scope a call to this instance.",
      ),
      h(
        "div",
        { class: "actions" },
        h(
          "button",
          {
            type: "button",
            onclick: async () => {
              try {
                await navigator.clipboard.writeText(instance.token);
                notify("Token copied to the clipboard.");
              } catch {
                const range = document.createRange();
                range.selectNodeContents(document.getElementById(tokenId));
                const selection = window.getSelection();
                selection.removeAllRanges();
                selection.addRange(range);
                notify("Token selected: copy it with your keyboard.");
              }
            },
          },
          "Copy token",
        ),
        h("a", { class: "button primary", href: `#/instances/${instance.id}` }, "Open instance"),
        h("a", { class: "button", href: "#/instances" }, "All instances"),
      ),
    );
    render(panel);
    notify(`Instance ${instance.id} created.`);
    $("#created-title").focus();
  }

  // ---------------------------------------------------------------------------------------------
  // One instance: poller state, poll now, notifications.
  const POLLER_HEADERS = ["Resource", "Watermark", "Last run", "Result", "Records read", "Events", "Last error"];
  const EVENTS_HEADERS = ["Notification", "Status", "Object type", "Events", "Attempts", "Last response", "Updated"];

  function pollerRows(poller) {
    return poller.resources.map((r) =>
      row(
        POLLER_HEADERS,
        [
          r.resource,
          fmtTime(r.watermark),
          fmtTime(r.lastRunFinished || r.lastRunStarted),
          resultBadge(r.lastResult),
          String(r.recordsRead ?? 0),
          String(r.eventsEmitted ?? 0),
          r.lastError
            ? h("span", { class: "error-text" }, r.lastError, r.consecutiveFailures ? ` (${r.consecutiveFailures} in a row)` : "")
            : dash,
        ],
        { "data-resource": r.resource },
      ),
    );
  }

  function eventRows(instanceId, events) {
    return events.map((e) =>
      row(
        EVENTS_HEADERS,
        [
          h("a", { href: `#/instances/${instanceId}/events/${e.id}`, "aria-label": `Notification ${shortId(e.id)}` }, h("code", {}, shortId(e.id))),
          statusBadge(e.status),
          e.objectType || dash,
          String(e.eventCount ?? dash),
          String(e.attemptCount ?? 0),
          e.lastStatusCode === null || e.lastStatusCode === undefined ? dash : String(e.lastStatusCode),
          fmtTime(e.updatedDate || e.createdDate),
        ],
        { "data-event": e.id, "data-status": e.status },
      ),
    );
  }

  async function viewInstance({ params, isCurrent }) {
    const id = params[0];
    const [instance, poller, page] = await Promise.all([
      api("GET", `instances/${id}`),
      api("GET", `instances/${id}/poller`),
      api("GET", `instances/${id}/events?limit=25`),
    ]);
    if (!isCurrent()) return;
    document.title = `${instance.name} · srevents console`;
    const config = instance.configuration || {};
    let events = page.events;
    let nextCursor = page.nextCursor;

    const pollerBody = h("tbody", {}, pollerRows(poller));
    const eventsBody = h("tbody", {}, eventRows(id, events));
    const emptyEvents = h(
      "p",
      { class: "empty-note", id: "no-events", hidden: events.length ? true : null },
      "No notifications yet. Change something in SmartRecruiters, then press Poll now.",
    );
    const more = h("button", { type: "button", id: "more-events", hidden: nextCursor ? null : true }, "Load older notifications");
    const progress = h("p", { class: "muted small", id: "poll-progress" });

    const refresh = async () => {
      const [p, first] = await Promise.all([
        api("GET", `instances/${id}/poller`),
        api("GET", `instances/${id}/events?limit=25`),
      ]);
      if (!isCurrent()) return null;
      pollerBody.replaceChildren(...pollerRows(p));
      // Keep pages already loaded beyond the first one.
      const seen = new Set(first.events.map((e) => e.id));
      events = first.events.concat(events.slice(25).filter((e) => !seen.has(e.id)));
      if (events.length <= 25) nextCursor = first.nextCursor;
      eventsBody.replaceChildren(...eventRows(id, events));
      emptyEvents.hidden = events.length > 0;
      more.hidden = !nextCursor;
      progress.textContent = p.pollInProgress ? "A poll is running…" : "";
      return { poller: p, events: first.events };
    };

    more.addEventListener("click", async () => {
      more.disabled = true;
      try {
        const older = await api("GET", `instances/${id}/events?limit=25&cursor=${encodeURIComponent(nextCursor)}`);
        events = events.concat(older.events);
        nextCursor = older.nextCursor;
        eventsBody.append(...eventRows(id, older.events));
        more.hidden = !nextCursor;
        notify(`${older.events.length} older notification(s) loaded.`);
      } catch (error) {
        showError(error.message);
      } finally {
        more.disabled = false;
      }
    });

    const pollNow = h(
      "button",
      {
        type: "button",
        class: "primary",
        id: "poll-now",
        onclick: async () => {
          pollNow.disabled = true;
          stopTimers(); // one refresh loop at a time
          try {
            await api("POST", `instances/${id}/events/poll`);
            notify("Poll requested. This page refreshes for the next 30 seconds.");
            const before = new Set(events.map((e) => e.id));
            const until = Date.now() + REFRESH_AFTER_POLL_MS;
            const tick = async () => {
              if (!isCurrent()) return;
              try {
                const result = await refresh();
                if (!result) return;
                const fresh = result.events.filter((e) => !before.has(e.id));
                if (fresh.length) {
                  fresh.forEach((e) => before.add(e.id));
                  notify(`${fresh.length} new notification(s).`);
                }
              } catch (error) {
                showError(error.message);
                return;
              }
              if (Date.now() < until) later(tick, REFRESH_EVERY_MS);
            };
            later(tick, 500);
          } catch (error) {
            showError(error.message);
          } finally {
            pollNow.disabled = false;
          }
        },
      },
      "Poll now",
    );

    const actions = h(
      "div",
      { class: "toolbar" },
      pollNow,
      h(
        "button",
        {
          type: "button",
          id: "refresh-instance",
          onclick: async () => {
            try {
              await refresh();
              notify("Refreshed.");
            } catch (error) {
              showError(error.message);
            }
          },
        },
        "Refresh",
      ),
      h(
        "button",
        {
          type: "button",
          id: "toggle-instance",
          onclick: async () => {
            try {
              const enabled = await toggleEnabled(instance);
              pendingNotice = { text: `Instance ${instance.id} ${enabled ? "enabled" : "disabled"}.` };
              await rerender("#toggle-instance");
            } catch (error) {
              showError(error.message);
            }
          },
        },
        instance.disabled ? "Enable" : "Disable",
      ),
      h(
        "button",
        {
          type: "button",
          class: "danger",
          id: "delete-instance",
          onclick: async () => {
            try {
              if (await deleteInstance(instance)) {
                pendingNotice = { text: `Instance ${instance.id} (“${instance.name}”) deleted.` };
                location.hash = "#/instances";
              }
            } catch (error) {
              showError(error.message);
            }
          },
        },
        "Delete",
      ),
    );

    render(
      h("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, h("a", { href: "#/instances" }, "Instances"), h("span", { "aria-hidden": "true" }, " / "), h("span", { "aria-current": "page" }, instance.name)),
      h("div", { class: "page-head" }, h("h1", {}, instance.name), actions),
      h(
        "dl",
        { class: "facts inline card" },
        h("div", {}, h("dt", {}, "ID"), h("dd", {}, String(instance.id))),
        h("div", {}, h("dt", {}, "State"), h("dd", {}, stateBadges(instance))),
        h("div", {}, h("dt", {}, "Interval"), h("dd", {}, intervalOf(instance))),
        h("div", {}, h("dt", {}, "Tags"), h("dd", {}, tagList(instance.tags))),
        h("div", { class: "wide" }, h("dt", {}, "Callback URL"), h("dd", { class: "break" }, config["event.notification.callback.url"] || dash)),
        h("div", {}, h("dt", {}, "Created"), h("dd", {}, fmtTime(instance.createdDate))),
      ),
      instance.notificationsSuspendedReason
        ? h("p", { class: "warning" }, `Notifications are suspended: ${instance.notificationsSuspendedReason}`)
        : null,
      h(
        "section",
        { "aria-labelledby": "poller-title", class: "section" },
        h("h2", { id: "poller-title" }, "Poller"),
        progress,
        h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { class: "table", id: "poller-table" },
            h("caption", { class: "visually-hidden" }, "Poller state per resource"),
            h("thead", {}, h("tr", {}, POLLER_HEADERS.map((name) => h("th", { scope: "col" }, name)))),
            pollerBody,
          ),
        ),
      ),
      h(
        "section",
        { "aria-labelledby": "events-title", class: "section" },
        h("h2", { id: "events-title" }, "Notifications"),
        h("p", { class: "hint" }, "Newest first."),
        emptyEvents,
        h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { class: "table", id: "events-table" },
            h("caption", { class: "visually-hidden" }, "Notifications, newest first"),
            h("thead", {}, h("tr", {}, EVENTS_HEADERS.map((name) => h("th", { scope: "col" }, name)))),
            eventsBody,
          ),
        ),
        more,
      ),
    );
  }

  // ---------------------------------------------------------------------------------------------
  // One notification: body, headers sent, attempts; retry.
  const ATTEMPT_HEADERS = ["#", "At", "Trigger", "Outcome", "Status code", "Latency", "Error", "Response"];

  async function viewNotification({ params, isCurrent }) {
    const [id, eventId] = params;
    const [instance, detail] = await Promise.all([
      api("GET", `instances/${id}`),
      api("GET", `instances/${id}/events/${eventId}`),
    ]);
    if (!isCurrent()) return;
    document.title = `Notification ${shortId(eventId)} · srevents console`;
    const attempts = detail.attempts || [];
    const headersSent = detail.headersSent || {};
    const retry =
      detail.status !== "DELIVERED"
        ? h(
            "button",
            {
              type: "button",
              class: "primary",
              id: "retry",
              onclick: async (event) => {
                event.currentTarget.disabled = true;
                try {
                  const result = await api("POST", `instances/${id}/events/${eventId}/retry`);
                  const code = result.attempt && result.attempt.statusCode;
                  pendingNotice = {
                    text: `Retried: ${result.status}${code ? ` (response ${code})` : ""}.`,
                  };
                  await rerender("#retry");
                } catch (error) {
                  showError(error.message);
                  event.currentTarget.disabled = false;
                }
              },
            },
            "Retry",
          )
        : null;
    render(
      h(
        "nav",
        { class: "crumbs", "aria-label": "Breadcrumb" },
        h("a", { href: "#/instances" }, "Instances"),
        h("span", { "aria-hidden": "true" }, " / "),
        h("a", { href: `#/instances/${id}` }, instance.name),
        h("span", { "aria-hidden": "true" }, " / "),
        h("span", { "aria-current": "page" }, `Notification ${shortId(eventId)}`),
      ),
      h(
        "div",
        { class: "page-head" },
        h("h1", { id: "notification-title" }, "Notification ", h("code", { class: "break" }, eventId)),
        h("div", { class: "toolbar" }, retry, h("a", { class: "button", href: `#/instances/${id}` }, "Back to instance")),
      ),
      h(
        "dl",
        { class: "facts inline card" },
        h("div", {}, h("dt", {}, "Status"), h("dd", { id: "notification-status" }, statusBadge(detail.status))),
        h("div", {}, h("dt", {}, "Object type"), h("dd", {}, detail.objectType || dash)),
        h("div", {}, h("dt", {}, "Events"), h("dd", {}, String(detail.eventCount ?? dash))),
        h("div", {}, h("dt", {}, "Attempts"), h("dd", {}, String(detail.attemptCount ?? attempts.length))),
        h("div", {}, h("dt", {}, "Last response"), h("dd", {}, detail.lastStatusCode ? String(detail.lastStatusCode) : dash)),
        detail.nextAttemptAt ? h("div", {}, h("dt", {}, "Next attempt"), h("dd", {}, fmtTime(detail.nextAttemptAt))) : null,
      ),
      h(
        "section",
        { class: "section", "aria-labelledby": "attempts-title" },
        h("h2", { id: "attempts-title" }, "Attempts"),
        attempts.length
          ? h(
              "div",
              { class: "table-wrap" },
              h(
                "table",
                { class: "table", id: "attempts-table" },
                h("caption", { class: "visually-hidden" }, "Every delivery attempt, oldest first"),
                h("thead", {}, h("tr", {}, ATTEMPT_HEADERS.map((name) => h("th", { scope: "col" }, name)))),
                h(
                  "tbody",
                  {},
                  attempts.map((a) =>
                    row(
                      ATTEMPT_HEADERS,
                      [
                        String(a.attempt ?? dash),
                        fmtTime(a.at),
                        a.trigger || dash,
                        a.outcome ? badge(a.outcome, { delivered: "ok", retrying: "warn" }[a.outcome] || "bad") : dash,
                        a.statusCode === undefined || a.statusCode === null ? dash : String(a.statusCode),
                        a.latencyMs === undefined ? dash : `${a.latencyMs} ms`,
                        a.error || dash,
                        a.response ? h("pre", { class: "snippet" }, a.response) : dash,
                      ],
                      { "data-outcome": a.outcome || "" },
                    ),
                  ),
                ),
              ),
            )
          : h("p", { class: "empty-note" }, "Not attempted yet."),
      ),
      h(
        "section",
        { class: "section", "aria-labelledby": "headers-title" },
        h("h2", { id: "headers-title" }, "Headers sent"),
        Object.keys(headersSent).length
          ? h(
              "dl",
              { class: "headers card" },
              Object.entries(headersSent).map(([name, value]) => [h("dt", {}, name), h("dd", { class: "break" }, h("code", {}, value))]),
            )
          : h("p", { class: "empty-note" }, "None recorded."),
      ),
      h(
        "section",
        { class: "section", "aria-labelledby": "body-title" },
        h("h2", { id: "body-title" }, "Body"),
        h("pre", { class: "code", id: "notification-body", tabindex: "0", "aria-label": "Notification body (JSON)" }, JSON.stringify(detail.body, null, 2)),
      ),
    );
  }

  // ---------------------------------------------------------------------------------------------
  // A modal confirmation (native <dialog>: focus is kept inside; Escape cancels).
  function confirmDialog({ title, message, confirmLabel }) {
    const opener = document.activeElement;
    return new Promise((resolve) => {
      const dialog = h(
        "dialog",
        { class: "dialog", "aria-labelledby": "dialog-title", "aria-describedby": "dialog-message" },
        h("h2", { id: "dialog-title" }, title),
        h("p", { id: "dialog-message" }, message),
        h(
          "div",
          { class: "actions" },
          h("button", { type: "button", class: "danger", id: "dialog-confirm", onclick: () => dialog.close("confirm") }, confirmLabel),
          h("button", { type: "button", id: "dialog-cancel", onclick: () => dialog.close("cancel") }, "Cancel"),
        ),
      );
      dialog.addEventListener("close", () => {
        const confirmed = dialog.returnValue === "confirm";
        dialog.remove();
        if (opener && document.contains(opener) && !confirmed) opener.focus();
        resolve(confirmed);
      });
      document.body.append(dialog);
      dialog.showModal();
      $("#dialog-cancel", dialog).focus();
    });
  }

  // ---------------------------------------------------------------------------------------------
  function start() {
    $("#sign-out").addEventListener("click", () => {
      sessionStorage.removeItem(STORE_KEY);
      pendingNotice = { text: "Signed out. The secrets were removed from this tab." };
      location.hash = "#/signin";
    });
    $("#skip-link").addEventListener("click", (event) => {
      event.preventDefault();
      const heading = $("h1", view());
      if (heading) {
        heading.setAttribute("tabindex", "-1");
        heading.focus();
      } else {
        $("#main").focus();
      }
    });
    window.addEventListener("hashchange", route);
    route();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
