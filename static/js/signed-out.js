// On the sign-in page nobody is signed in: forget what the field app kept on this device for offline use
// (cached lists and visit pages, the service worker — every registration of this origin, whatever its scope:
// the organization's /o/<org>/ or an older /o/<org>/field/ — with its pending background sends, the last visit
// data), so that the next person on a shared phone cannot open them. The outbox of unsent actions is kept: it is sent again only under a signed-in session,
// and the server refuses actions on visits that are not the new user's.
(async () => {
  try {
    if ("caches" in window) {
      for (const key of await caches.keys()) {
        if (key.startsWith("tutti-field-")) await caches.delete(key);
      }
    }
    if ("serviceWorker" in navigator) {
      for (const registration of await navigator.serviceWorker.getRegistrations()) {
        await registration.unregister();
      }
    }
    for (const key of Object.keys(localStorage)) {
      if (key.startsWith("tutti")) localStorage.removeItem(key);
    }
  } catch (error) {
    // Private browsing and old browsers may refuse storage access; there is then nothing to clear.
  }
})();
