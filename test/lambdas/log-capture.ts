/**
 * The log lines the in-process handlers write to stdout while a test file runs, kept for the file's assertions (no
 * token, no message text) and hidden from the test output unless SHOW_LOGS is set.
 */
export class StdoutCapture {
  /** Every chunk written to stdout between `start` and `stop`. */
  readonly logs: string[] = [];
  private readonly realWrite = process.stdout.write.bind(process.stdout);

  /** Captures from now on (in the file's beforeAll, before the playground starts). */
  start(): void {
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      this.logs.push(String(chunk));
      return (this.realWrite as (...a: unknown[]) => boolean)(...(process.env.SHOW_LOGS ? [chunk, ...rest] : ['']));
    }) as typeof process.stdout.write;
  }

  /** Gives stdout back (in the file's afterAll, after the playground has stopped). */
  stop(): void {
    process.stdout.write = this.realWrite;
  }
}
