/**
 * What admission webhooks add to every write of a type (issue 13): creates of a kind with a
 * validating and a mutating webhook served by tsoperator (on loopback, TLS) against creates of the
 * same kind without webhooks, one at a time, on the same local control plane. Reports p50/p90/p99
 * of the client-side create latency of both and their difference.
 *
 *   npm run build && node dist/bench/webhooks.js [--creates 500]
 *
 * Writes bench/results/webhooks.json. Timings are never assertions in `npm test`.
 */
import "reflect-metadata";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { K8sType, allowed, defineDefaulter, defineValidator, denied, type KubeObject } from "../src/index.js";
import { crdFor } from "../src/manifests/crd.js";
import { LocalControlPlane, TestKit } from "../src/testing/index.js";

const GROUP = "bench.tsoperator.dev";
const creates = Number(process.argv[process.argv.indexOf("--creates") + 1]) || 500;
const schema = { spec: { type: "object" as const, "x-kubernetes-preserve-unknown-fields": true } };
const plain = K8sType.of(`${GROUP}/v1`, "PlainThing", { plural: "plainthings", namespaced: true });
const checked = K8sType.of(`${GROUP}/v1`, "CheckedThing", { plural: "checkedthings", namespaced: true });

const webhooks = [
  defineValidator(
    { type: checked },
    { validateCreate: (o: KubeObject) => ((o.spec as { size: number }).size > 0 ? allowed() : denied("size")) },
  ),
  defineDefaulter({ type: checked }, (o: KubeObject) => {
    (o.spec as Record<string, unknown>).tier ??= "standard";
  }),
];

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function summary(ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 100) / 100;
  return { p50: round(quantile(s, 0.5)), p90: round(quantile(s, 0.9)), p99: round(quantile(s, 0.99)), n: s.length };
}

async function main(): Promise<void> {
  const cp = await LocalControlPlane.start();
  const kit = await TestKit.start({
    controlPlane: cp,
    operators: [],
    manifests: [crdFor([{ type: plain, options: { schema } }]), crdFor([{ type: checked, options: { schema } }])],
    webhooks,
  });
  try {
    const create = async (type: K8sType, name: string) => {
      const started = performance.now();
      await kit.create({ apiVersion: type.apiVersion, kind: type.kind, metadata: { name }, spec: { size: 1 } });
      return performance.now() - started;
    };
    await kit.eventually(async () => {
      const created = await kit.create({
        apiVersion: checked.apiVersion,
        kind: checked.kind,
        metadata: { generateName: "probe-" },
        spec: { size: 1 },
      });
      if ((created.spec as { tier?: string }).tier !== "standard") throw new Error("defaulter not called yet");
    });
    for (let i = 0; i < 50; i++) {
      await create(plain, `warm-${i}`);
      await create(checked, `warm-${i}`);
    }
    const times = { plain: [] as number[], checked: [] as number[] };
    for (let i = 0; i < creates; i++) {
      times.plain.push(await create(plain, `p-${i}`));
      times.checked.push(await create(checked, `c-${i}`));
    }
    const result = {
      date: new Date().toISOString(),
      creates,
      withoutWebhooksMs: summary(times.plain),
      withWebhooksMs: summary(times.checked),
      webhookAddsMs: {
        p50: Math.round((summary(times.checked).p50 - summary(times.plain).p50) * 100) / 100,
        p99: Math.round((summary(times.checked).p99 - summary(times.plain).p99) * 100) / 100,
      },
      note: "one create at a time; the checked kind has a validating and a mutating webhook (two TLS round trips from the API server)",
    };
    console.log(JSON.stringify(result, null, 2));
    writeFileSync(fileURLToPath(new URL("../../bench/results/webhooks.json", import.meta.url)), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await kit.close();
    await cp.stop();
  }
}

await main();
