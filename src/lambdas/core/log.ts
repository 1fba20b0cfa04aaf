/**
 * Structured JSON logs. Never pass tokens, message bodies or attachments: callers log ids, sizes and codes only.
 */
export type LogFields = Record<string, string | number | boolean | undefined>;

export interface Logger {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export function createLogger(base: LogFields = {}, write: (line: string) => void = (l) => process.stdout.write(l + '\n')): Logger {
  const emit = (level: string, msg: string, fields?: LogFields) => {
    if (process.env.BEDROCK_CHAT_LOG === 'off') return;
    write(JSON.stringify({ level, msg, ...base, ...fields, time: new Date().toISOString() }));
  };
  return {
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (f) => createLogger({ ...base, ...f }, write),
  };
}

/** The name and message of an error, without stack or payloads. */
export function errorFields(err: unknown): LogFields {
  if (err instanceof Error) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    return { errorName: err.name, errorMessage: err.message.slice(0, 300), httpStatus: status };
  }
  return { errorName: typeof err };
}
