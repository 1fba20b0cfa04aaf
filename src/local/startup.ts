import type { LocalStack } from './stack/local-stack';

/** The start-up message: the app's URL (from the template's outputs), what was loaded, and, once, what is not emulated. */
export function startupMessage(stack: LocalStack, extra: string[] = []): string {
  const appUrl = stack.outputs.AppUrl ?? stack.url;
  const lines = [
    '',
    `  Bedrock Chat, local stack from the template: ${appUrl.replace(/\/?$/, '/')}`,
    ...extra.map((l) => `  ${l}`),
    '',
    '  Loaded:',
    ...stack.summary.map((l) => `    - ${l}`),
    '',
    '  Not emulated:',
    ...stack.notEmulated.map((l) => `    - ${l}`),
    '',
    '  Ctrl+C to stop.',
    '',
  ];
  return lines.join('\n');
}
