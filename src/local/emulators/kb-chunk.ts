// src/local runs only in development (playground, tests): its imports are devDependencies.
// Chunking as a data source's vectorIngestionConfiguration.chunkingConfiguration says
// (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_ChunkingConfiguration.html ;
// https://docs.aws.amazon.com/bedrock/latest/userguide/kb-chunking.html).
//
// Tokens are approximated: a token is a word or a punctuation mark (Bedrock counts the embedding model's tokens,
// which this emulator does not have). SEMANTIC chunking is approximated with lexical vectors (term counts) instead
// of embeddings: breakpoints fall where the cosine distance between neighbouring sentence groups exceeds the
// breakpointPercentileThreshold-th percentile of all distances, as Bedrock's algorithm does with embeddings.

/** The chunking configuration of a data source (the API's shape, as the SDK sends it). */
export interface ChunkingConfiguration {
  chunkingStrategy: 'FIXED_SIZE' | 'HIERARCHICAL' | 'SEMANTIC' | 'NONE';
  fixedSizeChunkingConfiguration?: { maxTokens: number; overlapPercentage: number };
  hierarchicalChunkingConfiguration?: { levelConfigurations: Array<{ maxTokens: number }>; overlapTokens: number };
  semanticChunkingConfiguration?: { maxTokens: number; bufferSize: number; breakpointPercentileThreshold: number };
}

/** One chunk: the text that is indexed, the text that is returned (the parent's, for hierarchical chunking), its page. */
export interface Chunk {
  readonly text: string;
  /** What Retrieve returns for this chunk: the parent chunk's text when hierarchical, else `text`. */
  readonly returnedText: string;
  /** Identifies the returned text, so results that share a parent are returned once. */
  readonly returnedId: number;
  /** 1-based page of a PDF, where the chunk starts. */
  readonly page?: number;
}

/**
 * "By default, Amazon Bedrock automatically splits your source data into chunks, such that each chunk contains, at
 * most, 300 tokens" (https://docs.aws.amazon.com/bedrock/latest/userguide/kb-chunking.html).
 */
export const DEFAULT_CHUNKING: ChunkingConfiguration = {
  chunkingStrategy: 'FIXED_SIZE',
  fixedSizeChunkingConfiguration: { maxTokens: 300, overlapPercentage: 20 },
};

/**
 * The documented bounds of each strategy's settings, checked at CreateDataSource with a ValidationException:
 * FixedSizeChunkingConfiguration maxTokens ≥ 1, overlapPercentage 1-99
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_FixedSizeChunkingConfiguration.html);
 * HierarchicalChunkingConfiguration exactly 2 levels (parent, child), overlapTokens ≥ 1
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_HierarchicalChunkingConfiguration.html);
 * SemanticChunkingConfiguration bufferSize 0-1, breakpointPercentileThreshold 50-99, maxTokens ≥ 1
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_SemanticChunkingConfiguration.html).
 * Returns the message of the first rule broken, or undefined.
 */
export function chunkingConfigurationError(c: ChunkingConfiguration | undefined): string | undefined {
  if (!c) return undefined;
  const int = (v: unknown) => typeof v === 'number' && Number.isInteger(v);
  switch (c.chunkingStrategy) {
    case 'FIXED_SIZE': {
      const f = c.fixedSizeChunkingConfiguration;
      if (!f) return 'fixedSizeChunkingConfiguration is required for the FIXED_SIZE chunking strategy.';
      if (!int(f.maxTokens) || f.maxTokens < 1) return 'fixedSizeChunkingConfiguration.maxTokens must be at least 1.';
      if (!int(f.overlapPercentage) || f.overlapPercentage < 1 || f.overlapPercentage > 99) return 'fixedSizeChunkingConfiguration.overlapPercentage must be between 1 and 99.';
      return undefined;
    }
    case 'HIERARCHICAL': {
      const h = c.hierarchicalChunkingConfiguration;
      if (!h) return 'hierarchicalChunkingConfiguration is required for the HIERARCHICAL chunking strategy.';
      if (!Array.isArray(h.levelConfigurations) || h.levelConfigurations.length !== 2) return 'hierarchicalChunkingConfiguration.levelConfigurations must have exactly 2 levels (parent, child).';
      if (h.levelConfigurations.some((l) => !int(l.maxTokens) || l.maxTokens < 1)) return 'Each level\'s maxTokens must be at least 1.';
      if (!int(h.overlapTokens) || h.overlapTokens < 1) return 'hierarchicalChunkingConfiguration.overlapTokens must be at least 1.';
      return undefined;
    }
    case 'SEMANTIC': {
      const s = c.semanticChunkingConfiguration;
      if (!s) return 'semanticChunkingConfiguration is required for the SEMANTIC chunking strategy.';
      if (!int(s.maxTokens) || s.maxTokens < 1) return 'semanticChunkingConfiguration.maxTokens must be at least 1.';
      if (!int(s.bufferSize) || s.bufferSize < 0 || s.bufferSize > 1) return 'semanticChunkingConfiguration.bufferSize must be 0 or 1.';
      if (!int(s.breakpointPercentileThreshold) || s.breakpointPercentileThreshold < 50 || s.breakpointPercentileThreshold > 99) return 'semanticChunkingConfiguration.breakpointPercentileThreshold must be between 50 and 99.';
      return undefined;
    }
    case 'NONE':
      return undefined;
    default:
      return `Unknown chunkingStrategy: ${String((c as { chunkingStrategy?: unknown }).chunkingStrategy)}.`;
  }
}

interface Token { readonly start: number; readonly end: number; readonly page: number }

/** The approximate tokens of the pages: words and punctuation marks, with offsets into the joined text. */
function tokenize(pages: string[]): { text: string; tokens: Token[] } {
  const tokens: Token[] = [];
  let text = '';
  pages.forEach((page, i) => {
    const base = text.length;
    const re = /[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]/gu;
    for (let m = re.exec(page); m; m = re.exec(page)) tokens.push({ start: base + m.index, end: base + m.index + m[0].length, page: i + 1 });
    text += page + (i < pages.length - 1 ? '\n\n' : '');
  });
  return { text, tokens };
}

function windows(from: number, to: number, size: number, overlap: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const step = Math.max(1, size - overlap);
  for (let i = from; i < to; i += step) {
    out.push([i, Math.min(to, i + size)]);
    if (i + size >= to) break;
  }
  return out;
}

/**
 * Splits a parsed document into chunks by the configuration (the default strategy when undefined). The pages of a PDF
 * are chunked one by one (a chunk never spans two pages, so its page number is exact); NONE keeps the whole document.
 */
export function chunkDocument(pages: string[], config: ChunkingConfiguration = DEFAULT_CHUNKING): Chunk[] {
  if (pages.length > 1 && config.chunkingStrategy !== 'NONE') {
    const out: Chunk[] = [];
    pages.forEach((p, i) => {
      const base = out.length ? Math.max(...out.map((c) => c.returnedId)) + 1 : 0;
      for (const c of chunkDocument([p], config)) out.push({ ...c, returnedId: base + c.returnedId, page: i + 1 });
    });
    return out;
  }
  const { text, tokens } = tokenize(pages);
  if (tokens.length === 0) return [];
  const slice = (a: number, b: number) => text.slice(tokens[a].start, tokens[b - 1].end).trim();
  const multiPage = pages.length > 1;
  const page = (i: number) => (multiPage ? tokens[i].page : undefined);
  let id = 0;
  switch (config.chunkingStrategy) {
    case 'NONE': {
      const all = slice(0, tokens.length);
      return [{ text: all, returnedText: all, returnedId: id, page: page(0) }];
    }
    case 'FIXED_SIZE': {
      const f = config.fixedSizeChunkingConfiguration!;
      const overlap = Math.floor((f.maxTokens * f.overlapPercentage) / 100);
      return windows(0, tokens.length, f.maxTokens, overlap).map(([a, b]) => {
        const t = slice(a, b);
        return { text: t, returnedText: t, returnedId: id++, page: page(a) };
      });
    }
    case 'HIERARCHICAL': {
      // "Child chunks are replaced with their parent chunks during retrieval"
      // (https://docs.aws.amazon.com/bedrock/latest/userguide/kb-chunking.html, hierarchical chunking).
      const h = config.hierarchicalChunkingConfiguration!;
      const [parentLevel, childLevel] = h.levelConfigurations;
      const out: Chunk[] = [];
      for (const [pa, pb] of windows(0, tokens.length, parentLevel.maxTokens, h.overlapTokens)) {
        const parentText = slice(pa, pb);
        const parentId = id++;
        for (const [ca, cb] of windows(pa, pb, childLevel.maxTokens, Math.min(h.overlapTokens, childLevel.maxTokens - 1))) {
          out.push({ text: slice(ca, cb), returnedText: parentText, returnedId: parentId, page: page(ca) });
        }
      }
      return out;
    }
    case 'SEMANTIC':
      return semanticChunks(text, tokens, config.semanticChunkingConfiguration!, page);
  }
}

function termVector(text: string): Map<string, number> {
  const v = new Map<string, number>();
  for (const w of text.toLowerCase().match(/[\p{L}\p{N}_]+/gu) ?? []) v.set(w, (v.get(w) ?? 0) + 1);
  return v;
}

function cosineDistance(a: Map<string, number>, b: Map<string, number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (const [k, x] of a) {
    na += x * x;
    const y = b.get(k);
    if (y) dot += x * y;
  }
  for (const y of b.values()) nb += y * y;
  return na && nb ? 1 - dot / Math.sqrt(na * nb) : 1;
}

function semanticChunks(
  text: string,
  tokens: Token[],
  s: NonNullable<ChunkingConfiguration['semanticChunkingConfiguration']>,
  page: (i: number) => number | undefined,
): Chunk[] {
  // sentences as token ranges: a sentence ends after . ! ? or a blank line
  const sentences: Array<[number, number]> = [];
  let startTok = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = text.slice(tokens[i].start, tokens[i].end);
    const gap = i + 1 < tokens.length ? text.slice(tokens[i].end, tokens[i + 1].start) : '';
    if (/^[.!?]$/.test(t) || /\n\s*\n/.test(gap) || i === tokens.length - 1) {
      sentences.push([startTok, i + 1]);
      startTok = i + 1;
    }
  }
  const sentenceText = (k: number) => text.slice(tokens[sentences[k][0]].start, tokens[sentences[k][1] - 1].end);
  const group = (k: number) => {
    const parts: string[] = [];
    for (let j = Math.max(0, k - s.bufferSize); j <= Math.min(sentences.length - 1, k + s.bufferSize); j++) parts.push(sentenceText(j));
    return termVector(parts.join(' '));
  };
  const vectors = sentences.map((_, k) => group(k));
  const distances = vectors.slice(1).map((v, k) => cosineDistance(vectors[k], v));
  const sorted = [...distances].sort((a, b) => a - b);
  const threshold = percentile(sorted, s.breakpointPercentileThreshold);
  const out: Chunk[] = [];
  let id = 0;
  let from = sentences[0][0];
  const emit = (a: number, b: number) => {
    // a group longer than maxTokens is split into maxTokens pieces
    for (let x = a; x < b; x += s.maxTokens) {
      const y = Math.min(b, x + s.maxTokens);
      const t = text.slice(tokens[x].start, tokens[y - 1].end).trim();
      out.push({ text: t, returnedText: t, returnedId: id++, page: page(x) });
    }
  };
  for (let k = 0; k < sentences.length; k++) {
    const end = sentences[k][1];
    const breakHere = k < distances.length && distances[k] > threshold;
    const wouldOverflow = k + 1 < sentences.length && sentences[k + 1][1] - from > s.maxTokens;
    if (k === sentences.length - 1 || breakHere || wouldOverflow) {
      emit(from, end);
      from = end;
    }
  }
  return out;
}

/** The p-th percentile of sorted values, interpolated linearly between ranks (as numpy's default). */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Infinity;
  const pos = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}
