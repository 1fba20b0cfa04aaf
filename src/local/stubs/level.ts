/**
 * Stands in for the `level` package in the bundled CLI (assets/cli): dynalite needs it only for tables on disk, which
 * the local stack never asks for (its tables live in memory, memory-level), and `level` loads a native addon that
 * cannot be bundled.
 */
export class Level {
  constructor() {
    throw new Error('Tables on disk are not available in the bundled CLI: the local stack keeps its tables in memory.');
  }
}
