// Tutti field app service worker, an ES module (served by workorders.field.views.FieldServiceWorkerView at
// /field-sw.js with `Service-Worker-Allowed: /o/`, and registered with their organization (/o/<org>/) as its scope
// by the technician's pages only: static/js/field/offline.js).
//
// Why: on a phone, opening the camera can kill the browser tab; back in the browser the page reloads — in a
// basement with no signal. Two things are kept here:
//   - the technician's pages: Today (/o/<org>/), Upcoming (/o/<org>/upcoming/) and the visit pages
//     (/o/<org>/field/…), network-first (a fresh copy whenever the network answers within a few seconds), and
//     only when the server marked the answer as such (`X-Tutti-Offline: keep`: a technician's own page). Every
//     other navigation of the organization is left alone (no respondWith). The app's static files are
//     stale-while-revalidate. POSTs are never touched: the outbox deals with failures.
//   - the outbox: a Background Sync `sync` event with the tag `tutti-outbox:<user id>` (registered by the
//     pages whenever an action is queued or the sender waits to retry) sends the waiting actions with the
//     pages' own sender (sender.js + outbox.js), even when no Tutti page is open. Browsers without Background
//     Sync (Safari) send them at the next opening of a page.

// The pages' own outbox and sender: one sender, the same code in the pages and here.
import { Outbox } from "{{ outbox_module|escapejs }}";
import { Sender, userOfSyncTag } from "{{ sender_module|escapejs }}";

const CACHE = "tutti-field-v3";
const PAGE_TIMEOUT_MS = 4000;
const KEEP_FRESH_MS = 10 * 60 * 1000; // a kept copy younger than this is not fetched again for `keep`
const STATIC_PREFIX = "{{ static_prefix|escapejs }}";
const SCOPE = new URL(self.registration.scope).pathname; // /o/<org>/

/** The technician's pages: Today (the scope itself), Upcoming and the field pages. */
function isTechnicianPage(pathname) {
  return pathname === SCOPE || pathname === `${SCOPE}upcoming/` || pathname.startsWith(`${SCOPE}field/`);
}

self.addEventListener("install", () => self.skipWaiting());

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) {
        if (key.startsWith("tutti-field-") && key !== CACHE) await caches.delete(key);
      }
      await self.clients.claim();
    })(),
  );
});

function keepable(response, { page }) {
  // Only real answers: a redirect (to sign in) or an error must never replace a good copy; a page only when the
  // server says it is one of the technician's (a staff page of the organization is never kept).
  if (!response || !response.ok || response.redirected || response.type !== "basic") return false;
  return !page || response.headers.get("X-Tutti-Offline") === "keep";
}

async function remember(request, response, { page = false } = {}) {
  if (keepable(response, { page })) {
    const cache = await caches.open(CACHE);
    await cache.put(request, response.clone());
  }
  return response;
}

// Pages are matched ignoring Vary (Django varies on Cookie): the copies are the signed-in technician's own, and
// the sign-in page deletes them all (static/js/signed-out.js).
const PAGE_MATCH = { ignoreVary: true };

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  const network = fetch(request).then((response) => remember(request, response, { page: true }));
  const timeout = new Promise((resolve) => setTimeout(resolve, PAGE_TIMEOUT_MS, null));
  try {
    const first = await Promise.race([network, timeout]);
    if (first) return first;
    const cached = await cache.match(request, PAGE_MATCH);
    return cached || (await network);
  } catch (error) {
    const cached = await cache.match(request, PAGE_MATCH);
    if (cached) return cached;
    throw error;
  }
}

/** Another page of the organization (Profile…): the network's answer, or — without signal — the app's own
 * "no connection" page (kept with the technician's pages), never the browser's error page. */
async function networkOrOfflinePage(request) {
  try {
    return await fetch(request);
  } catch (error) {
    const cache = await caches.open(CACHE);
    const page = await cache.match(`${SCOPE}field/offline/`, PAGE_MATCH);
    if (page) return page;
    throw error;
  }
}

async function staleWhileRevalidate(event) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(event.request);
  const refresh = fetch(event.request)
    .then((response) => remember(event.request, response))
    .catch(() => null);
  if (cached) {
    event.waitUntil(refresh);
    return cached;
  }
  return (await refresh) || Response.error();
}

function isFresh(response) {
  const date = response && Date.parse(response.headers.get("Date") || "");
  return Boolean(date) && Date.now() - date < KEEP_FRESH_MS;
}

/** Fetch and keep these URLs (technician pages and static files of this origin only); `refresh` fetches even a
 * fresh copy. Resolves to the number of URLs kept. */
async function keep(urls, { refresh = false } = {}) {
  const cache = await caches.open(CACHE);
  let kept = 0;
  for (const url of urls) {
    try {
      const target = new URL(url, self.location.origin);
      if (target.origin !== self.location.origin) continue;
      target.hash = "";
      const page = isTechnicianPage(target.pathname);
      if (!page && !target.pathname.startsWith(STATIC_PREFIX)) continue;
      const request = new Request(target.href);
      if (!refresh && isFresh(await cache.match(request, page ? PAGE_MATCH : {}))) {
        kept += 1;
        continue;
      }
      const response = await fetch(target.href, { credentials: "same-origin" });
      if (keepable(response, { page })) {
        await cache.put(request, response.clone());
        kept += 1;
      }
    } catch {
      // offline already: the next opening with signal keeps them
    }
  }
  return kept;
}

// A page sends its own URL, the static files it used (loaded before the worker existed) and, from the lists,
// the visit pages listed there, to be kept now: the technician can then open any of them without signal.
self.addEventListener("message", (event) => {
  const urls = (event.data && event.data.keep) || [];
  if (!urls.length) return;
  event.waitUntil(
    (async () => {
      const kept = await keep(urls);
      if (event.source) event.source.postMessage({ kept, asked: urls.length });
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    if (isTechnicianPage(url.pathname)) event.respondWith(networkFirst(request));
    else if (url.pathname.startsWith(SCOPE)) event.respondWith(networkOrOfflinePage(request));
  } else if (url.pathname.startsWith(STATIC_PREFIX)) {
    event.respondWith(staleWhileRevalidate(event));
  }
});

// --- Sending the outbox in the background ------------------------------------------------------------------

/** Django's CSRF token from its cookie (Cookie Store API; a worker has no document.cookie). Without it the
 * server refuses the action as a CSRF failure, the sender reads that as "sign in again" and stops. */
async function csrfFromCookie() {
  if (!self.cookieStore) return "";
  const cookie = await self.cookieStore.get("csrftoken");
  return cookie ? cookie.value : "";
}

async function sendOutbox(user) {
  // A Tutti page on the screen sends the outbox itself (and shows the server's answers as they come): leave it
  // to the page and look again later (see the rejection below), in case it is closed before it is done.
  const windows = await self.clients.matchAll({ type: "window" });
  if (windows.some((client) => client.visibilityState === "visible")) {
    throw new Error("Tutti outbox: an open page is sending it");
  }
  const outbox = new Outbox();
  const sender = new Sender({ outbox, user, csrf: csrfFromCookie });
  const visits = new Set();
  sender.addEventListener("sent", (event) => visits.add(event.detail.item.visitId));
  let outcome;
  try {
    // The same lock as the pages' senders: an open page and this worker never send the same item at once.
    outcome = await sender.flush();
  } finally {
    outbox.close();
  }
  if (visits.size) {
    // Open pages show the server's answer, not the phone's guess; the kept copies are refreshed for the next
    // opening without signal.
    for (const client of await self.clients.matchAll({ type: "window" })) {
      client.postMessage({ sent: [...visits] });
    }
    await keep([SCOPE, ...[...visits].map((id) => `${SCOPE}field/visits/${id}/`)], { refresh: true });
  }
  // "retry" (no network, a 5xx, a timeout…): rejecting the sync event's promise makes the browser fire it again
  // later (Chromium: a few more times, minutes apart); the pages register it again whenever they retry.
  // "auth" (the session has expired) simply stops: the next page opening asks to sign in again.
  if (outcome === "retry") throw new Error("Tutti outbox: changes still waiting to be sent");
}

self.addEventListener("sync", (event) => {
  const user = userOfSyncTag(event.tag);
  if (user === null) return;
  event.waitUntil(sendOutbox(user));
});
