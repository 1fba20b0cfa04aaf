// Entry point; implementation in progress.
export async function handler(_event: unknown): Promise<unknown> {
  return undefined;
}
