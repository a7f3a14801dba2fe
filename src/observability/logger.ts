/**
 * The runtime's logger: a small interface of our own, backed by winston.
 *
 * The runtime depends on {@link Logger} only, never on winston's types, so a user can hand in
 * any implementation (a NestJS logger adapter, a test recorder) and winston stays a detail.
 *
 * @example
 * ```ts
 * const log = createLogger({ level: "debug", format: "pretty" });
 * const syncLog = log.child({ operator: "echo-server", parent: "default/web" });
 * syncLog.info("synced", { children: 2 });
 * syncLog.error("sync failed", { err: new Error("boom") }); // message and stack, not {}
 * ```
 */
import winston from "winston";
import { normalizeFields, type LogFields } from "./log-fields.js";
import { formatJsonLine, formatPrettyLine, type LogLevel, type LogRecord } from "./log-format.js";

export type { LogFields } from "./log-fields.js";
export type { LogLevel } from "./log-format.js";

/** What the runtime logs through. Fields are structured data, never interpolated into `msg`. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every record (e.g. `{ operator, parent: "ns/name" }`). */
  child(fields: LogFields): Logger;
}

/** Output formats: one JSON object per line, or one readable line per record. */
export type LogFormat = "json" | "pretty";

/** Options of {@link createLogger}; each falls back to the environment, then a default. */
export interface LoggerOptions {
  /** Minimum level written. Default: `TSOPERATOR_LOG_LEVEL`, else "info". */
  level?: LogLevel;
  /** Default: `TSOPERATOR_LOG_FORMAT`, else "pretty" when the stream is a TTY, else "json". */
  format?: LogFormat;
  /** Where lines go. Default: process.stdout. */
  stream?: NodeJS.WritableStream;
  /** Fields on every record of this logger and its children. */
  fields?: LogFields;
}

const LEVEL_RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
/** Key under which our rendered record rides through winston's pipeline untouched. */
const RECORD = Symbol("tsoperator.logRecord");
/** winston/triple-beam's key for the final output string of a record. */
const MESSAGE = Symbol.for("message");

/** Parses a level name from the environment or options; unknown names give `undefined`. */
export function parseLogLevel(value: string | undefined): LogLevel | undefined {
  const v = value?.trim().toLowerCase();
  if (v === "trace") return "debug";
  if (v === "warning") return "warn";
  return v && v in LEVEL_RANK ? (v as LogLevel) : undefined;
}

/** Parses a format name from the environment or options; unknown names give `undefined`. */
export function parseLogFormat(value: string | undefined): LogFormat | undefined {
  const v = value?.trim().toLowerCase();
  if (v === "json") return "json";
  if (v === "pretty" || v === "text" || v === "console") return "pretty";
  return undefined;
}

/** Creates a winston-backed {@link Logger}. See {@link LoggerOptions} for defaults. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const stream = options.stream ?? process.stdout;
  const isTty = (stream as { isTTY?: boolean }).isTTY === true;
  const level = options.level ?? parseLogLevel(process.env.TSOPERATOR_LOG_LEVEL) ?? "info";
  const format = options.format ?? parseLogFormat(process.env.TSOPERATOR_LOG_FORMAT) ?? (isTty ? "pretty" : "json");
  const colors = format === "pretty" && isTty && process.env.NO_COLOR === undefined;

  const render = winston.format((info) => {
    const record = (info as unknown as Record<symbol, LogRecord>)[RECORD];
    (info as unknown as Record<symbol, string>)[MESSAGE] = format === "json" ? formatJsonLine(record) : formatPrettyLine(record, colors);
    return info;
  });
  const backend = winston.createLogger({
    level,
    levels: { error: 0, warn: 1, info: 2, debug: 3 },
    format: render(),
    transports: [new winston.transports.Stream({ stream })],
    exitOnError: false,
  });
  return new WinstonLogger(backend, LEVEL_RANK[level], normalizeFields(options.fields));
}

/** A {@link Logger} bound to a set of fields; children share the winston backend. */
class WinstonLogger implements Logger {
  constructor(
    private readonly backend: winston.Logger,
    private readonly minRank: number,
    private readonly bound: LogFields,
  ) {}

  debug(msg: string, fields?: LogFields): void {
    this.write("debug", msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.write("info", msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.write("warn", msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.write("error", msg, fields);
  }

  child(fields: LogFields): Logger {
    return new WinstonLogger(this.backend, this.minRank, { ...this.bound, ...normalizeFields(fields) });
  }

  private write(level: LogLevel, msg: string, fields: LogFields | undefined): void {
    // Checked here, before fields are normalized: debug lines in hot paths must cost ~nothing.
    if (LEVEL_RANK[level] < this.minRank) return;
    const record: LogRecord = {
      time: new Date().toISOString(),
      level,
      message: String(msg),
      fields: fields ? { ...this.bound, ...normalizeFields(fields) } : this.bound,
    };
    this.backend.log({ level, message: record.message, [RECORD]: record });
  }
}

/** A logger that drops everything: the default where logging is optional. */
export const noopLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return noopLogger;
  },
};
