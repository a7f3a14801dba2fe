import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { LineSplitter, parseJsonLines } from "../../../src/kube/ndjson.js";
import { toWatchEvent } from "../../../src/kube/watch.js";

const encoder = new TextEncoder();

async function* chunksOf(bytes: Uint8Array, sizes: number[]): AsyncGenerator<Uint8Array> {
  let offset = 0;
  let i = 0;
  while (offset < bytes.length) {
    const size = sizes[i++ % sizes.length] ?? 1;
    yield bytes.subarray(offset, offset + size);
    offset += size;
  }
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe("NDJSON line splitter", () => {
  it("keeps a line split across chunks", () => {
    const splitter = new LineSplitter();
    assert.deepEqual(splitter.push(encoder.encode('{"a":')), []);
    assert.deepEqual(splitter.push(encoder.encode('1}\n{"b"')), ['{"a":1}']);
    assert.deepEqual(splitter.push(encoder.encode(":2}\n")), ['{"b":2}']);
    assert.deepEqual(splitter.end(), []);
  });

  it("reassembles a multi-byte UTF-8 character split between chunks", () => {
    const bytes = encoder.encode('{"name":"é€😀"}\n');
    // Cut inside the 2-byte é, the 3-byte € and the 4-byte emoji.
    const splitter = new LineSplitter();
    const lines: string[] = [];
    for (let i = 0; i < bytes.length; i++) lines.push(...splitter.push(bytes.subarray(i, i + 1)));
    assert.deepEqual(lines, ['{"name":"é€😀"}']);
  });

  it("returns the last line without a trailing newline at the end, skips blank lines and CRs", () => {
    const splitter = new LineSplitter();
    assert.deepEqual(splitter.push(encoder.encode('{"a":1}\r\n\n\n{"b":2}')), ['{"a":1}']);
    assert.deepEqual(splitter.end(), ['{"b":2}']);
  });

  it("parses every line of a stream whatever the chunk sizes", async () => {
    const events = Array.from({ length: 50 }, (_, i) => ({
      type: "ADDED",
      object: { kind: "ConfigMap", metadata: { name: `cm-${i}-ü日本` } },
    }));
    const bytes = encoder.encode(events.map((e) => JSON.stringify(e)).join("\n") + "\n");
    for (const sizes of [[1], [2, 3], [7, 1, 13], [4096]]) {
      assert.deepEqual(await collect(parseJsonLines(chunksOf(bytes, sizes))), events);
    }
  });

  it("reports a line that is not JSON", async () => {
    await assert.rejects(collect(parseJsonLines(chunksOf(encoder.encode("not json\n"), [100]))), /not JSON/);
  });
});

describe("watch events", () => {
  it("accepts the five event types and refuses anything else", () => {
    assert.deepEqual(toWatchEvent({ type: "BOOKMARK", object: { metadata: { resourceVersion: "5" } } }), {
      type: "BOOKMARK",
      object: { metadata: { resourceVersion: "5" } },
    });
    const status = { kind: "Status", code: 410, reason: "Expired" };
    assert.equal(toWatchEvent({ type: "ERROR", object: status }).object, status);
    assert.throws(() => toWatchEvent({ type: "WHAT", object: {} }), /not an event/);
    assert.throws(() => toWatchEvent({ type: "ADDED" }), /not an event/);
  });
});
