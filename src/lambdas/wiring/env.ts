/**
 * Per-container wiring shared by the entry points. Each AWS client lives in its own module so a bundle only carries
 * the clients its function uses. Clients are created once, lazily, so the standard `AWS_ENDPOINT_URL_<SERVICE>`
 * variables (set by the local playground and the tests) are read when the first request arrives.
 */
import { createLogger } from '../core/log';
import { modelSettingsFrom } from '../core/models';

export function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`Environment variable ${name} is not set`);
  return value;
}

export function once<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

export const log = createLogger({ fn: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'local' });

/** The deployment's models (`MODELS_JSON`, `DEFAULT_MODEL`, `TITLE_MODEL`, or `DEFAULT_MODEL_ID`). */
export const modelSettings = once(() => modelSettingsFrom(process.env));

