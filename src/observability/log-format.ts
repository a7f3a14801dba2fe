/**
 * Rendering one log record as text: a JSON object per line, or a readable "pretty" line.
 * Pure functions over an already-normalized record (see log-fields.ts), unit-tested directly.
 */
import type { LogFields } from "./log-fields.js";

/** The levels tsoperator logs at, most verbose first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** One record, ready to render: fields are already JSON-safe. */
export interface LogRecord {
  /** ISO-8601 timestamp. */
  time: string;
  level: LogLevel;
  message: string;
  fields: LogFields;
}

/** Fields that the pretty format shows in fixed columns before the message, in this order. */
const LEADING_FIELDS = ["operator", "parent"] as const;

const LEVEL_COLORS: Record<LogLevel, string> = {
  debug: "\x1b[90m",
  info: "\x1b[32m",
  warn: "\x1b[33m",
  error: "\x1b[31m",
};
const RESET = "\x1b[0m";

/** One JSON object per line: `{"time":…,"level":…,"msg":…,…fields}`. */
export function formatJsonLine(record: LogRecord): string {
  return JSON.stringify({ time: record.time, level: record.level, msg: record.message, ...record.fields });
}

/**
 * A line a human reads in a terminal:
 * `2026-11-25T10:00:00.123Z INFO  echo-server default/web  synced children=2 took_ms=4`.
 * The stack of an error field follows on indented lines, because a stack squeezed into one line
 * cannot be read; everything else stays on the record's line.
 */
export function formatPrettyLine(record: LogRecord, colors = false): string {
  const level = record.level.toUpperCase().padEnd(5);
  const parts = [record.time, colors ? `${LEVEL_COLORS[record.level]}${level}${RESET}` : level];
  for (const key of LEADING_FIELDS) {
    const value = record.fields[key];
    if (value !== undefined) parts.push(typeof value === "string" ? value : JSON.stringify(value));
  }
  parts.push(record.message);
  const stacks: string[] = [];
  for (const [key, value] of Object.entries(record.fields)) {
    if ((LEADING_FIELDS as readonly string[]).includes(key)) continue;
    if (isSerializedError(value)) {
      parts.push(`${key}=${quoteIfNeeded(value.message)}`);
      if (value.stack) stacks.push(indent(value.stack));
      continue;
    }
    parts.push(`${key}=${renderValue(value)}`);
  }
  return [parts.join(" "), ...stacks].join("\n");
}

function renderValue(value: unknown): string {
  if (typeof value === "string") return quoteIfNeeded(value);
  if (value === null || typeof value !== "object") return String(value);
  return JSON.stringify(value);
}

function quoteIfNeeded(text: string): string {
  return text === "" || /[\s"=]/.test(text) ? JSON.stringify(text) : text;
}

function indent(stack: string): string {
  return stack
    .split("\n")
    .map((line) => `    ${line.trim()}`)
    .join("\n");
}

function isSerializedError(value: unknown): value is { message: string; stack?: string } {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { message?: unknown }).message === "string" &&
    ("stack" in value || "name" in value)
  );
}
