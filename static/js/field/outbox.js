// The phone's OUTBOX: every action the technician takes is written here (IndexedDB) before anything goes
// over the network, so nothing is lost when the signal drops, the tab is closed or the battery dies.
// Photos are kept as Blobs. Items are sent in the order they were taken (`seq`) by the sender
// (sender.js) — in a page, or in the field app's service worker on a Background Sync event (no window there:
// this file uses only IndexedDB, BroadcastChannel and EventTarget); an item leaves the outbox only once the
// server has answered it.
//
// An item:
//   {seq, id (the client_action_id, also the Idempotency-Key), user, org, visitId, kind, label, url,
//    body (JSON text) | form {fields, file (Blob), filename}, payload (the action as an object, for the
//    optimistic view), createdAt, state: "pending" | "failed", attempts, nextAttemptAt, error}

const DB_VERSION = 1;
const STORE = "outbox";
const CHANNEL = "tutti-field-outbox";

function request(idbRequest) {
  return new Promise((resolve, reject) => {
    idbRequest.onsuccess = () => resolve(idbRequest.result);
    idbRequest.onerror = () => reject(idbRequest.error);
  });
}

function openDatabase(name) {
  const opening = indexedDB.open(name, DB_VERSION);
  opening.onupgradeneeded = () => {
    const db = opening.result;
    if (!db.objectStoreNames.contains(STORE)) {
      const store = db.createObjectStore(STORE, { keyPath: "seq", autoIncrement: true });
      store.createIndex("id", "id", { unique: true });
    }
  };
  return request(opening);
}

export class Outbox extends EventTarget {
  /** One outbox per browser (all visits, in order). `name` lets tests use their own database. */
  constructor({ name = "tutti-field" } = {}) {
    super();
    this.name = name;
    this.ready = openDatabase(name);
    // Other tabs of the app share the database: tell them when it changes.
    this.channel = typeof BroadcastChannel === "function" ? new BroadcastChannel(`${CHANNEL}:${name}`) : null;
    if (this.channel) this.channel.onmessage = () => this.dispatchEvent(new Event("change"));
  }

  async transaction(mode, work) {
    const db = await this.ready;
    const tx = db.transaction(STORE, mode);
    const done = new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error || new Error("outbox transaction aborted"));
    });
    const result = await work(tx.objectStore(STORE));
    await done; // resolved only when the data is committed
    return result;
  }

  changed() {
    this.dispatchEvent(new Event("change"));
    if (this.channel) this.channel.postMessage("change");
  }

  /** Keep a new action; resolves once it is safely on the phone. */
  async add(item) {
    const record = {
      state: "pending",
      attempts: 0,
      nextAttemptAt: 0,
      error: null,
      createdAt: Date.now(),
      ...item,
    };
    record.seq = await this.transaction("readwrite", (store) => request(store.add(record)));
    this.changed();
    return record;
  }

  /** Every item, oldest first. */
  async all() {
    return this.transaction("readonly", (store) => request(store.getAll()));
  }

  async get(id) {
    return this.transaction("readonly", (store) => request(store.index("id").get(id)));
  }

  /** Change fields of the item with client action id `id` (e.g. attempts, state, error). */
  async update(id, changes) {
    const updated = await this.transaction("readwrite", async (store) => {
      const item = await request(store.index("id").get(id));
      if (!item) return null;
      Object.assign(item, changes);
      await request(store.put(item));
      return item;
    });
    if (updated) this.changed();
    return updated;
  }

  async remove(id) {
    const removed = await this.transaction("readwrite", async (store) => {
      const key = await request(store.index("id").getKey(id));
      if (key === undefined) return false;
      await request(store.delete(key));
      return true;
    });
    if (removed) this.changed();
    return removed;
  }

  /** Replace a failed item's id by a fresh one (a new Idempotency-Key: the old key would replay the refusal)
   * and put it back in the queue. `rekey(item, newId)` rebuilds its body with the new client_action_id. */
  async retry(id, newId, rekey) {
    const updated = await this.transaction("readwrite", async (store) => {
      const key = await request(store.index("id").getKey(id));
      if (key === undefined) return null;
      const item = await request(store.get(key));
      const fresh = { ...rekey(item, newId), id: newId, state: "pending", attempts: 0, nextAttemptAt: 0, error: null };
      await request(store.put(fresh));
      return fresh;
    });
    if (updated) this.changed();
    return updated;
  }

  /** Let go of the database and the channel (the service worker, once its sync event is over). */
  async close() {
    if (this.channel) this.channel.close();
    this.channel = null;
    try {
      (await this.ready).close();
    } catch {
      // never opened: nothing to close
    }
  }

  /** Drop every item (tests; and "discard" when a visit no longer exists). */
  async clear() {
    await this.transaction("readwrite", (store) => request(store.clear()));
    this.changed();
  }
}

/** Counts for the indicator: pending and failed items (of one user when given), and `unreachable` when the
 * next item's last attempt got no answer at all (one bar of signal: the phone says online, nothing gets through). */
export function summarize(items, { user = null } = {}) {
  const mine = user === null ? items : items.filter((item) => item.user === user);
  const pending = mine.filter((item) => item.state === "pending");
  const next = pending[0];
  return {
    pending: pending.length,
    failed: mine.filter((item) => item.state === "failed").length,
    total: mine.length,
    unreachable: Boolean(next && next.attempts > 0 && next.lastStatus === 0),
  };
}
