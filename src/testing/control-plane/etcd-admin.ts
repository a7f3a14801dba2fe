/**
 * Maintenance calls on the local control plane's etcd through its JSON gateway (`/v3/...`, served
 * on the client port): the current revision and compaction. Fault tests compact etcd and restart
 * the API server so that watches resume from a resourceVersion that no longer exists (410 Gone).
 */
import { request } from "undici";

async function call(endpoint: string, path: string, body: unknown): Promise<any> {
  const res = await request(`${endpoint}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`etcd ${path}: HTTP ${res.statusCode}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** The store's current revision (what the API server calls the newest resourceVersion). */
export async function etcdRevision(endpoint: string): Promise<number> {
  // Any range answers with the header's revision; one key at most, no values.
  const answer = await call(endpoint, "/v3/kv/range", { key: Buffer.from("/").toString("base64"), limit: 1, keys_only: true });
  return Number(answer.header.revision);
}

/** Compacts etcd's history up to `revision` (default: the current one) and returns it. */
export async function compactEtcd(endpoint: string, revision?: number): Promise<number> {
  const rev = revision ?? (await etcdRevision(endpoint));
  await call(endpoint, "/v3/kv/compaction", { revision: String(rev), physical: true });
  return rev;
}
