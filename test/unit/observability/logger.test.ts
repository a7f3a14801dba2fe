import { test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { createLogger, parseLogLevel, parseLogFormat } from "../../../src/observability/logger.js";

/** A stream that keeps what is written, split into lines. */
function capture(): { stream: Writable; lines: () => string[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join("")
        .split("\n")
        .filter((l) => l.length > 0),
  };
}

/** winston hands records to its transports through streams; let them drain. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

test("json format writes one parseable object per line with child fields", async () => {
  const out = capture();
  const log = createLogger({ format: "json", level: "info", stream: out.stream });
  const sync = log.child({ operator: "echo-server", parent: "default/web" });
  sync.info("synced", { children: 2 });
  sync.warn("slow", { took_ms: 1500 });
  await settle();
  const lines = out.lines();
  assert.equal(lines.length, 2);
  const first = JSON.parse(lines[0]!);
  assert.equal(first.level, "info");
  assert.equal(first.msg, "synced");
  assert.equal(first.operator, "echo-server");
  assert.equal(first.parent, "default/web");
  assert.equal(first.children, 2);
  assert.ok(!Number.isNaN(Date.parse(first.time)));
  const second = JSON.parse(lines[1]!);
  assert.equal(second.level, "warn");
  assert.equal(second.parent, "default/web");
});

test("levels below the minimum are dropped", async () => {
  const out = capture();
  const log = createLogger({ format: "json", level: "warn", stream: out.stream });
  log.debug("d");
  log.info("i");
  log.warn("w");
  log.error("e");
  await settle();
  assert.deepEqual(
    out.lines().map((l) => JSON.parse(l).msg),
    ["w", "e"],
  );
});

test("errors are logged with message and stack, never {}", async () => {
  const out = capture();
  const log = createLogger({ format: "json", stream: out.stream });
  const err = Object.assign(new Error("conflict writing pod", { cause: new Error("etcd busy") }), { statusCode: 409 });
  log.error("sync failed", { err });
  await settle();
  const rec = JSON.parse(out.lines()[0]!);
  assert.equal(rec.err.message, "conflict writing pod");
  assert.equal(rec.err.statusCode, 409);
  assert.match(rec.err.stack, /conflict writing pod\n\s+at /);
  assert.equal(rec.err.cause.message, "etcd busy");
});

test("fields that clash with the record's keys are renamed, cycles cut", async () => {
  const out = capture();
  const log = createLogger({ format: "json", stream: out.stream });
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  log.info("real message", { message: "a field", level: "x", cyclic, big: 10n });
  await settle();
  const rec = JSON.parse(out.lines()[0]!);
  assert.equal(rec.msg, "real message");
  assert.equal(rec.level, "info");
  assert.equal(rec.message_, "a field");
  assert.equal(rec.level_, "x");
  assert.deepEqual(rec.cyclic, { a: 1, self: "[circular]" });
  assert.equal(rec.big, "10");
});

test("pretty format: one readable line with time, level, operator, parent, message, fields", async () => {
  const out = capture();
  const log = createLogger({ format: "pretty", stream: out.stream }).child({ operator: "echo-server", parent: "default/web" });
  log.info("synced", { children: 2, note: "two words" });
  await settle();
  const lines = out.lines();
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^\d{4}-\d\d-\d\dT\S+Z INFO {2}echo-server default\/web synced children=2 note="two words"$/);
});

test("pretty format prints an error's message inline and its stack below", async () => {
  const out = capture();
  const log = createLogger({ format: "pretty", stream: out.stream });
  log.error("sync failed", { err: new Error("boom") });
  await settle();
  const lines = out.lines();
  assert.match(lines[0]!, /ERROR sync failed err=boom$/);
  assert.match(lines[1]!, /^ {4}Error: boom$/);
  assert.match(lines[2]!, /^ {4}at /);
});

test("environment names parse leniently", () => {
  assert.equal(parseLogLevel("DEBUG"), "debug");
  assert.equal(parseLogLevel("warning"), "warn");
  assert.equal(parseLogLevel("loud"), undefined);
  assert.equal(parseLogFormat("JSON"), "json");
  assert.equal(parseLogFormat("text"), "pretty");
  assert.equal(parseLogFormat(undefined), undefined);
});

test("TSOPERATOR_LOG_LEVEL and TSOPERATOR_LOG_FORMAT are the defaults", async () => {
  const saved = { level: process.env.TSOPERATOR_LOG_LEVEL, format: process.env.TSOPERATOR_LOG_FORMAT };
  process.env.TSOPERATOR_LOG_LEVEL = "debug";
  process.env.TSOPERATOR_LOG_FORMAT = "json";
  try {
    const out = capture();
    createLogger({ stream: out.stream }).debug("visible");
    await settle();
    assert.equal(JSON.parse(out.lines()[0]!).msg, "visible");
  } finally {
    for (const [k, v] of [
      ["TSOPERATOR_LOG_LEVEL", saved.level],
      ["TSOPERATOR_LOG_FORMAT", saved.format],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});
