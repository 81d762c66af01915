// Tutti field app service worker (served by workorders.field.views.FieldServiceWorkerView at
// /o/<org>/field/sw.js, so that it controls the organization's field pages and nothing else).
//
// Why: on a phone, opening the camera can kill the browser tab; back in the browser the visit page reloads —
// in a basement with no signal. The last copy of each visit page and the app's static files are kept here, so
// the page comes back and the outbox (IndexedDB) still holds every unsent action. Pages are network-first
// (a fresh copy whenever the network answers within a few seconds), static files stale-while-revalidate.
// POSTs are never touched: the outbox deals with failures.

const CACHE = "tutti-field-v1";
const PAGE_TIMEOUT_MS = 4000;
const STATIC_PREFIX = "{{ static_prefix|escapejs }}";

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

async function remember(request, response) {
  // Only real pages: a redirect (to sign in) or an error must never replace a good copy.
  if (response && response.ok && !response.redirected && response.type === "basic") {
    const cache = await caches.open(CACHE);
    await cache.put(request, response.clone());
  }
  return response;
}

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  const network = fetch(request).then((response) => remember(request, response));
  const timeout = new Promise((resolve) => setTimeout(resolve, PAGE_TIMEOUT_MS, null));
  try {
    const first = await Promise.race([network, timeout]);
    if (first) return first;
    const cached = await cache.match(request);
    return cached || (await network);
  } catch (error) {
    const cached = await cache.match(request);
    if (cached) return cached;
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

// The page that registered the worker was loaded before the worker existed: it sends its own URL and the static
// files it used, to be kept now rather than at the next visit.
self.addEventListener("message", (event) => {
  const urls = (event.data && event.data.keep) || [];
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      for (const url of urls) {
        try {
          const target = new URL(url, self.location.origin);
          if (target.origin !== self.location.origin) continue;
          const isPage = target.pathname.startsWith(new URL(self.registration.scope).pathname);
          if (!isPage && !target.pathname.startsWith(STATIC_PREFIX)) continue;
          const response = await fetch(target.href, { credentials: "same-origin" });
          await remember(new Request(target.href), response);
        } catch {
          // offline already: the next visit keeps them
        }
      }
      if (event.source) event.source.postMessage({ kept: urls.length });
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname.startsWith(new URL(self.registration.scope).pathname)) {
    event.respondWith(networkFirst(request));
  } else if (url.pathname.startsWith(STATIC_PREFIX)) {
    event.respondWith(staleWhileRevalidate(event));
  }
});
