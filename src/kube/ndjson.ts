/**
 * Incremental newline-delimited JSON: the watch stream arrives in chunks that split lines (and
 * multi-byte UTF-8 characters) anywhere; lines are parsed as soon as they are complete, without
 * buffering the whole body.
 */

/** Splits a byte stream into text lines; keeps the unfinished tail (and partial characters) across chunks. */
export class LineSplitter {
  private readonly decoder = new TextDecoder("utf-8");
  private tail = "";

  /** Feeds one chunk; returns the complete, non-empty lines it finished (without the newline). */
  push(chunk: Uint8Array | string): string[] {
    // stream: true keeps an incomplete UTF-8 sequence inside the decoder until the next chunk.
    const text = typeof chunk === "string" ? chunk : this.decoder.decode(chunk, { stream: true });
    if (text === "") return [];
    const parts = (this.tail + text).split("\n");
    this.tail = parts.pop() ?? "";
    return parts.map(stripCarriageReturn).filter((line) => line.trim() !== "");
  }

  /** Ends the stream; returns the last line when the body did not end with a newline. */
  end(): string[] {
    const rest = this.tail + this.decoder.decode();
    this.tail = "";
    const line = stripCarriageReturn(rest);
    return line.trim() === "" ? [] : [line];
  }
}

function stripCarriageReturn(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}

/** Parses each JSON line of a chunked byte stream as soon as it is complete. */
export async function* parseJsonLines(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<unknown> {
  const splitter = new LineSplitter();
  for await (const chunk of chunks) {
    for (const line of splitter.push(chunk)) yield parseLine(line);
  }
  for (const line of splitter.end()) yield parseLine(line);
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch (err) {
    throw new Error(`watch stream sent a line that is not JSON (${(err as Error).message}): ${line.slice(0, 200)}`);
  }
}
