// Where the phone is, for check-in. Never blocks a check-in: a refused permission is recorded as
// "denied" and no fix (no GPS, indoors, timeout) as "unavailable" — the check-in goes ahead either way.

const TIMEOUT_MS = 15000;

/** Resolves {location_status: "ok", latitude, longitude, accuracy_m} | {location_status: "denied" | "unavailable"}. */
export function locate({ timeout = TIMEOUT_MS, geolocation = navigator.geolocation } = {}) {
  return new Promise((resolve) => {
    if (!geolocation || typeof geolocation.getCurrentPosition !== "function") {
      resolve({ location_status: "unavailable" });
      return;
    }
    let settled = false;
    const finish = (value) => {
      if (settled) return;
      settled = true;
      clearTimeout(guard);
      resolve(value);
    };
    // Some browsers never call back while the permission prompt is left open: give up a little after
    // the API's own timeout.
    const guard = setTimeout(() => finish({ location_status: "unavailable" }), timeout + 2000);
    geolocation.getCurrentPosition(
      (position) =>
        finish({
          location_status: "ok",
          latitude: Number(position.coords.latitude.toFixed(6)),
          longitude: Number(position.coords.longitude.toFixed(6)),
          accuracy_m: Math.round(position.coords.accuracy ?? 0),
        }),
      (error) => finish({ location_status: error && error.code === 1 ? "denied" : "unavailable" }),
      { enableHighAccuracy: true, timeout, maximumAge: 60000 },
    );
  });
}
