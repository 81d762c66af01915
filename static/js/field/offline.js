// The pages' side of the field app's service worker (templates/field/sw.js), for the technician's pages only
// (Today, Upcoming, a visit page; never a page read by staff): register it for the organization, ask it to keep
// pages for use without signal, and ask the browser to send the outbox from it (Background Sync) when no page is
// open. Browsers without Background Sync (Safari) send the outbox at the next opening of a page.

import { syncTag } from "./sender.js";

function activated(registration) {
  if (registration.active) return Promise.resolve(registration.active);
  const worker = registration.installing || registration.waiting;
  if (!worker) return Promise.resolve(null);
  return new Promise((resolve) => {
    worker.addEventListener("statechange", () => {
      if (worker.state === "activated") resolve(worker);
      if (worker.state === "redundant") resolve(null);
    });
  });
}

/**
 * Register the worker (an ES module, templates/field/sw.js) with the organization (`scope`, /o/<org>/) as its
 * scope, and ask it to keep this page, the
 * static files it loaded (before the worker existed) and `keep` (more pages: the visits a list shows). Resolves
 * to the worker's answer ({kept, asked}) once they are kept, or null (no service worker here, or it failed: the
 * page works without it, only a reload without signal fails).
 */
export async function registerFieldWorker(url, { scope, keep = [] } = {}) {
  if (!url || !scope || !("serviceWorker" in navigator)) return null;
  try {
    // Phones may still have the first version of the worker, which covered the field pages only.
    for (const registration of await navigator.serviceWorker.getRegistrations()) {
      if (new URL(registration.scope).pathname === `${scope}field/`) await registration.unregister();
    }
    // A browser without module workers (before Chrome 91, Safari 15, Firefox 147) refuses: the pages still work.
    const registration = await navigator.serviceWorker.register(url, { scope, type: "module" });
    const worker = await activated(registration);
    if (!worker) return null;
    const assets = performance
      .getEntriesByType("resource")
      .map((entry) => entry.name)
      .filter((name) => new URL(name).pathname.startsWith("/static/"));
    const answer = new Promise((resolve) => {
      const listen = (event) => {
        if (event.data && "kept" in event.data) {
          navigator.serviceWorker.removeEventListener("message", listen);
          resolve(event.data);
        }
      };
      navigator.serviceWorker.addEventListener("message", listen);
    });
    worker.postMessage({ keep: [location.href, ...keep, ...assets] });
    return await answer;
  } catch {
    return null;
  }
}

/** Ask the browser to wake the worker and send this user's outbox when the network is there, even if no Tutti
 * page is open then (Background Sync, one-off, tag "tutti-outbox:<user id>"). False where the browser lacks it. */
export async function requestBackgroundSend(user) {
  if (user === null || user === undefined || !("serviceWorker" in navigator)) return false;
  try {
    const registration = await navigator.serviceWorker.getRegistration();
    if (!registration || !registration.sync || !registration.active) return false;
    await registration.sync.register(syncTag(user));
    return true;
  } catch {
    return false; // permission refused, or the worker is being replaced: the pages still send at the next opening
  }
}

/** Call `onSent(visitIds)` when the worker has sent waiting actions (an open page then shows the server's answer). */
export function onBackgroundSent(onSent) {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.addEventListener("message", (event) => {
    if (event.data && Array.isArray(event.data.sent)) onSent(event.data.sent);
  });
}
