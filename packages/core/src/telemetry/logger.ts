import winston from 'winston';
import { maskEmails, maskSecrets } from '../filters/detectors';

export type Logger = winston.Logger;

export interface LoggerOptions {
  /** `api`, `worker`, … ; becomes the `service` field of every line. */
  service: string;
  /** winston level (env `LOG_LEVEL`, default `info`). */
  level: string;
  /** Where lines go; defaults to stdout. Tests pass a stream to capture output. */
  stream?: NodeJS.WritableStream;
}

// Field names whose values never reach a log line: secrets, and prompt or completion text.
const secretField =
  /(authorization|api[_-]?key|secret|password|token$|^token|cookie|private[_-]?key)/i;
const textField = /^(prompt|messages|content|text|completion|input|output)$/i;

/**
 * Masks secrets (provider keys, tokens, private keys, issued llmq keys) and email addresses
 * inside any string, whatever its field: an error message may quote a header or a prompt (or
 * a JSON body, where one may follow an escaped new line: `\nsk-…`).
 */
export function scrubLogText(text: string): string {
  return maskEmails(maskSecrets(text, '[redacted-secret]'), '[redacted-email]');
}

function redactValue(key: string, value: unknown, depth: number): unknown {
  if (secretField.test(key)) return '[redacted]';
  // Before the scrub: a prompt is text, not a secret, so masking would leave it whole.
  if (textField.test(key) && (typeof value === 'string' || Array.isArray(value)))
    return '[omitted]';
  if (typeof value === 'string') return scrubLogText(value);
  if (value instanceof Error) return { name: value.name, message: scrubLogText(value.message) };
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redactValue('', item, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [childKey, child] of Object.entries(value))
    copy[childKey] = redactValue(childKey, child, depth + 1);
  return copy;
}

const redact = winston.format((info) => {
  if (typeof info.message === 'string') info.message = scrubLogText(info.message);
  for (const key of Object.keys(info)) {
    if (key === 'level' || key === 'message') continue;
    (info as Record<string, unknown>)[key] = redactValue(key, info[key], 0);
  }
  return info;
});

/**
 * JSON lines with a timestamp, the service name and an `event` in `<noun>-<action>` form.
 * Secrets and prompt/completion text are redacted by field name as a last line of defence;
 * callers log lengths and ids, never text.
 */
export function createLogger(options: LoggerOptions): Logger {
  const logger = winston.createLogger({
    level: options.level,
    defaultMeta: { service: options.service },
    format: winston.format.combine(
      redact(),
      winston.format.errors({ stack: false }),
      winston.format.timestamp(),
      winston.format.json(),
    ),
    transports: [
      options.stream
        ? new winston.transports.Stream({ stream: options.stream })
        : new winston.transports.Console(),
    ],
  });
  for (const level of npmLevels) logger[level] = skippedBelowLevel(level, logger[level]);
  logger.isLevelEnabled = rememberedLevelChecks(logger.isLevelEnabled);
  return logger;
}

/**
 * winston's `isLevelEnabled`, its answers remembered until the logger's level changes. winston
 * walks the transports for every check and builds a list of them each time (a few arrays and
 * closures), and a job asks several times (every skipped line, every call's log checks): ~2.5 KB
 * allocated per job, for the same answer. The transports are fixed when the logger is made
 * (above), so the level is all an answer depends on.
 */
function rememberedLevelChecks(
  isLevelEnabled: winston.Logger['isLevelEnabled'],
): winston.Logger['isLevelEnabled'] {
  const answers = new Map<string, boolean>();
  let answeredFor: string | undefined;
  return function (this: winston.Logger, level: string) {
    if (this.level !== answeredFor) {
      answers.clear();
      answeredFor = this.level;
    }
    let answer = answers.get(level);
    if (answer === undefined) {
      answer = isLevelEnabled.call(this, level);
      answers.set(level, answer);
    }
    return answer;
  };
}

const npmLevels = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] as const;

/**
 * A level method that returns at once when its level is off. winston formats every line
 * (redaction, timestamp, JSON) and drops it only at the transport: an `http-request` line at
 * the default `info` level cost ~10 µs of CPU per request, written nowhere.
 */
function skippedBelowLevel(
  level: (typeof npmLevels)[number],
  write: winston.LeveledLogMethod,
): winston.LeveledLogMethod {
  // `this`, not the logger: a `child()` logger inherits the method and its own defaults.
  return function (this: winston.Logger, ...args: unknown[]) {
    return this.isLevelEnabled(level) ? Reflect.apply(write, this, args) : this;
  } as winston.LeveledLogMethod;
}
