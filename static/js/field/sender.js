// The sender: takes the outbox's items one at a time, oldest first, and POSTs them with their
// Idempotency-Key. What happens next depends on the answer (see `classify`):
//   sent     2xx: the item leaves the outbox; listeners get the server's answer (the Visit resource)
//   retry    no network, a timeout, a 5xx, 408/429, or a key still in progress: the item stays and the
//            queue waits (order matters: a task result must not overtake its check-in), with backoff;
//            `online`, a visible tab and a periodic timer wake it up
//   failed   any other 4xx (a validation refusal): the item is marked failed with the server's message,
//            shown to the technician (retry or dismiss), and the queue moves on
//   auth     the session has expired: nothing is touched, the page asks to sign in again
// The server records each action once (client_action_id + Idempotency-Key), so resending blindly is safe.
//
// The same sender runs in the pages (start(): timers, `online`, a visible tab) and in the field app's service
// worker (flush(), on a Background Sync event: templates/field/sw.js), so nothing below start() touches
// window or document. One sender per phone at a time (navigator.locks): a page and the worker never send the
// same item at once.

import { csrfToken } from "./util.js";

const BASE_DELAY_MS = 1000;
const MAX_DELAY_MS = 60000;
const TICK_MS = 15000;
const JSON_TIMEOUT_MS = 30000;
const UPLOAD_TIMEOUT_MS = 180000;
const LOCK = "tutti-field-sender";
const SYNC_PREFIX = "tutti-outbox:";
const AUTH_CODES = new Set(["not_authenticated", "authentication_failed"]);
const RETRY_CODES = new Set(["idempotency_key_in_progress"]);

/** The first error of the standard error format ({type, errors: [{code, detail, attr}]}), if any. */
export function firstError(body) {
  const errors = body && Array.isArray(body.errors) ? body.errors : [];
  return errors[0] || null;
}

/** Words for people from an error answer: every detail (the API writes them as sentences for people). */
export function errorMessage(body, status) {
  const errors = body && Array.isArray(body.errors) ? body.errors : [];
  if (errors.length) return errors.map((error) => error.detail).join(" ");
  if (body && typeof body.detail === "string") return body.detail;
  return status ? `The server refused this change (HTTP ${status}).` : "The server refused this change.";
}

/** What to do with an answer: "sent" | "retry" | "failed" | "auth". Status 0 = no answer (network). */
export function classify(status, body) {
  if (!status) return "retry";
  if (status >= 200 && status < 300) return "sent";
  if (status >= 500 || status === 408 || status === 429) return "retry";
  const error = firstError(body);
  const code = error ? error.code : "";
  if (status === 409 && RETRY_CODES.has(code)) return "retry";
  if (status === 401) return "auth";
  if (status === 403) {
    const detail = error ? String(error.detail || "") : String((body && body.detail) || "");
    if (AUTH_CODES.has(code) || detail.startsWith("CSRF Failed")) return "auth";
  }
  return "failed";
}

/** Backoff before attempt n+1: 1 s, 2 s, 4 s … up to a minute, with jitter so phones do not stampede. */
export function backoff(attempts, random = Math.random) {
  const delay = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.max(0, attempts - 1));
  return Math.round(delay * (0.75 + random() * 0.5));
}

/** The Background Sync tag that sends a user's outbox from the service worker: "tutti-outbox:<user id>". */
export function syncTag(user) {
  return `${SYNC_PREFIX}${user}`;
}

/** The user id of a sync tag, or null for a tag that is not the outbox's. */
export function userOfSyncTag(tag) {
  if (typeof tag !== "string" || !tag.startsWith(SYNC_PREFIX)) return null;
  const user = Number(tag.slice(SYNC_PREFIX.length));
  return Number.isInteger(user) && user > 0 ? user : null;
}

/** The fetch options of an outbox item, always with its Idempotency-Key and the CSRF token. Actions go as multipart form data
 * (their fields, and the photo's Blob): a session's CSRF check makes DRF read a JSON body before the
 * Idempotency-Key fingerprint can hash it, while multipart parts are fingerprinted after parsing. An item
 * with a ready `body` (JSON text) is sent as JSON. */
export function requestFor(item, token = "") {
  const headers = {
    Accept: "application/json",
    "Idempotency-Key": item.id,
    "X-CSRFToken": token,
  };
  if (item.org) headers["X-Organization"] = item.org;
  let body;
  if (item.body !== undefined && item.body !== null) {
    headers["Content-Type"] = "application/json";
    body = item.body;
  } else {
    body = new FormData();
    const fields = (item.form && item.form.fields) || item.payload || {};
    for (const [name, value] of Object.entries(fields)) {
      if (value !== null && value !== undefined) body.append(name, String(value));
    }
    if (item.form && item.form.file) body.append(item.form.fileField || "file", item.form.file, item.form.filename || "photo.jpg");
  }
  return { method: "POST", headers, body, credentials: "same-origin" };
}

export class Sender extends EventTarget {
  /**
   * outbox: the Outbox; user: the signed-in user's id (items of another user on this phone wait for them);
   * csrf: a function returning (or resolving to) Django's CSRF token — the page's cookie or meta tag by default,
   * the Cookie Store in the service worker.
   * Events: "sent" {item, body}, "failed" {item}, "retry" {item}, "auth" {item}, "idle", "busy".
   */
  constructor({ outbox, user = null, csrf = csrfToken, fetchImpl = null, now = () => Date.now() } = {}) {
    super();
    this.outbox = outbox;
    this.user = user;
    this.csrf = csrf;
    this.fetch = fetchImpl || ((...args) => fetch(...args));
    this.now = now;
    this.running = false;
    this.again = false;
    this.timer = null;
    this.authBlocked = false;
    this.busy = false;
  }

  /** In a page: send now, and again whenever the network returns, the tab is shown, the outbox changes or
   * the backoff has passed. */
  start() {
    window.addEventListener("online", () => this.kick({ force: true }));
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.kick({ force: true });
    });
    this.ticker = setInterval(() => this.kick(), TICK_MS);
    this.outbox.addEventListener("change", () => this.kick());
    this.kick();
    return this;
  }

  stop() {
    clearInterval(this.ticker);
    clearTimeout(this.timer);
  }

  /** Send what is due now. `force` ignores the backoff (the network just came back). */
  kick({ force = false } = {}) {
    if (force) {
      this.force = true;
      this.authBlocked = false;
    }
    if (this.running) {
      this.again = true;
      return this.current;
    }
    this.current = this.run().finally(() => {
      this.running = false;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
    return this.current;
  }

  mine(item) {
    return this.user === null || item.user === this.user;
  }

  setBusy(busy) {
    if (this.busy === busy) return;
    this.busy = busy;
    this.dispatchEvent(new Event(busy ? "busy" : "idle"));
  }

  async run() {
    this.running = true;
    const { delay } = await this.locked({ wait: false });
    if (delay !== null) this.schedule(delay);
  }

  /** Send every waiting item of the user now, ignoring the backoff, once and without timers: the service
   * worker's sync event. Waits while another sender (an open page) is sending. Resolves to "done" (nothing of
   * the user left to send), "retry" (something still waits: no network, a 5xx, a timeout) or "auth". */
  async flush() {
    this.force = true;
    this.authBlocked = false;
    const { outcome } = await this.locked({ wait: true });
    return outcome;
  }

  /** drain() holding the phone's sender lock. A page does not wait for it (another tab or the worker is
   * sending: it looks again later); the worker does. */
  locked({ wait }) {
    // One sender per phone: two tabs of the app (or a tab and the service worker) would otherwise race on the
    // same items (harmless for the server, which records each action once, but wasteful on one bar of signal).
    if (navigator.locks && typeof navigator.locks.request === "function") {
      return navigator.locks.request(LOCK, { ifAvailable: !wait }, (lock) =>
        lock ? this.drain() : { outcome: "busy", delay: TICK_MS },
      );
    }
    return this.drain();
  }

  /** Send the due items in order until one has to wait. Resolves to {outcome, delay}: delay (ms) is when to look
   * again, null when only an event (the network returning, a new item) should wake the sender. */
  async drain() {
    const force = this.force;
    this.force = false;
    try {
      for (;;) {
        if (this.authBlocked) return { outcome: "auth", delay: null };
        if (!navigator.onLine) return { outcome: "retry", delay: null };
        const items = await this.outbox.all();
        const next = items.find((item) => item.state === "pending" && this.mine(item));
        if (!next) return { outcome: "done", delay: null };
        const wait = next.nextAttemptAt - this.now();
        if (wait > 0 && !force) return { outcome: "retry", delay: wait };
        this.setBusy(true);
        const outcome = await this.send(next);
        if (outcome === "retry") return { outcome, delay: next.nextAttemptAt - this.now() };
        if (outcome === "auth") return { outcome, delay: null };
      }
    } finally {
      this.setBusy(false);
    }
  }

  schedule(delay) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.kick(), Math.max(250, delay));
  }

  async send(item) {
    const controller = new AbortController();
    const limit = setTimeout(() => controller.abort(), item.form ? UPLOAD_TIMEOUT_MS : JSON_TIMEOUT_MS);
    let status = 0;
    let body = null;
    try {
      const token = await this.csrf();
      const response = await this.fetch(item.url, { ...requestFor(item, token), signal: controller.signal });
      status = response.status;
      const text = await response.text();
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        body = null; // an HTML error page from a proxy: the status decides
      }
    } catch {
      status = 0; // offline, DNS, reset, timeout
    } finally {
      clearTimeout(limit);
    }
    const outcome = classify(status, body);
    if (outcome === "sent") {
      await this.outbox.remove(item.id);
      this.dispatchEvent(new CustomEvent("sent", { detail: { item, body } }));
    } else if (outcome === "retry") {
      const attempts = item.attempts + 1;
      item.attempts = attempts;
      item.nextAttemptAt = this.now() + backoff(attempts);
      await this.outbox.update(item.id, { attempts, nextAttemptAt: item.nextAttemptAt, lastStatus: status });
      this.dispatchEvent(new CustomEvent("retry", { detail: { item, status } }));
    } else if (outcome === "auth") {
      this.authBlocked = true;
      this.dispatchEvent(new CustomEvent("auth", { detail: { item } }));
    } else {
      const error = firstError(body);
      const failure = { status, code: error ? error.code : "", message: errorMessage(body, status), body };
      await this.outbox.update(item.id, { state: "failed", error: failure });
      this.dispatchEvent(new CustomEvent("failed", { detail: { item: { ...item, state: "failed", error: failure } } }));
    }
    return outcome;
  }
}
