import type { Redis } from 'ioredis';
import type { JobResult } from '../jobs/job-record';
import type { NormalizedRequest } from '../jobs/job-request';
import type { RedisKeys } from '../redis/redis-keys';
import type { EffectiveCachePolicy } from './cache-policy';
import { defaultLshOptions, LshIndex, type LshOptions, unitVector } from './lsh-index';
import { semanticStoreScript } from './semantic-cache-scripts';
import { type GuardFeatures, guardFeatures, guardsAgree } from './semantic-guards';
import { semanticPromptOf } from './semantic-prompt';

/**
 * Turns a text into its embedding. The semantic cache's one dependency on a provider; the
 * worker binds it to an `EmbeddingModel` (OpenAI, any OpenAI-compatible server, the simulator).
 */
export type Embedder = (text: string, signal: AbortSignal) => Promise<ArrayLike<number>>;

/** An {@link Embedder} over an embedding model (`ProviderRegistry.embeddingModel`). */
export function embedderFrom(model: {
  embed(call: {
    inputs: string[];
    signal?: AbortSignal;
  }): Promise<{ embeddings: ArrayLike<number>[] }>;
}): Embedder {
  return async (text, signal) => {
    const { embeddings } = await model.embed({ inputs: [text], signal });
    const [embedding] = embeddings;
    if (!embedding) throw new Error('the embedding model returned no embedding');
    return embedding;
  };
}

export interface SemanticCacheOptions {
  embed: Embedder;
  /** Names the embedding model (env `SEMANTIC_CACHE_MODEL`): vectors of two models never mix. */
  embeddingModel: string;
  /** How long the embedding call may take, ms (env `SEMANTIC_CACHE_TIMEOUT_MS`, default 2,000). */
  timeoutMs?: number;
  /** LSH tables and bits (see `LshIndex` for the defaults and why). */
  lsh?: LshOptions;
  /** Tables a stored vector must share a bucket in to be compared (default 2). */
  minCollisions?: number;
  /** Most candidates compared exactly per lookup, most collisions first (default 64). */
  maxCandidates?: number;
  /** Longer prompts are not cached semantically, characters (default 8,000). */
  maxPromptChars?: number;
  /**
   * After this many embedding failures in a row the cache is skipped (no embedding call) for
   * `pauseMs`, so a down or hanging embedding provider does not add its timeout to every job
   * (default 3 failures, 30,000 ms).
   */
  pauseAfterFailures?: number;
  pauseMs?: number;
  now?: () => number;
}

/** A request prepared for the semantic cache: embedded once, for the lookup and the store. */
export interface SemanticQuery {
  readonly policy: EffectiveCachePolicy;
  readonly scopeHash: string;
  readonly vector: Float32Array;
  readonly buckets: string[];
  readonly guards: GuardFeatures;
}

/** A semantic hit: the stored answer and how similar its prompt was (cosine). */
export interface SemanticHit {
  result: JobResult;
  score: number;
}

/** What each entry keeps besides its vector and answer (the prompt text is not stored). */
interface StoredGuards {
  /** Negation count. */
  n: number;
  /** Numbers, sorted. */
  d: string[];
  /** Expires at, epoch ms. */
  e: number;
}

/**
 * Answers a request with the answer to a similar enough earlier request of the same scope
 * (owner, model, system prompt, generation parameters): the prompt is embedded, candidates are
 * found through LSH buckets in Redis (one round trip), compared exactly, and the best one
 * whose negations and numbers agree with the prompt is served if it reaches the threshold.
 *
 * Entries live in Redis (shared by every worker, kept across restarts) with a TTL and a size
 * bound per owner (the oldest are evicted). Only single-turn prompts by default, see
 * `semanticPromptOf`.
 */
export class SemanticCache {
  private readonly indexes = new Map<number, LshIndex>();
  private failures = 0;
  private pausedUntil = 0;
  private readonly lshOptions: LshOptions;
  private readonly now: () => number;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly options: SemanticCacheOptions,
  ) {
    this.lshOptions = options.lsh ?? defaultLshOptions;
    this.now = options.now ?? Date.now;
  }

  /**
   * Embeds the request's prompt, or answers undefined when the request is not one for the
   * semantic cache (off for the tenant or request, multi-turn without opt-in, too long). Throws
   * when the embedding call fails or times out: callers treat that as a miss.
   */
  async prepare(
    model: string,
    request: NormalizedRequest,
    policy: EffectiveCachePolicy,
  ): Promise<SemanticQuery | undefined> {
    if (!policy.semantic.enabled || policy.ttlSeconds <= 0) return undefined;
    const prompt = semanticPromptOf(model, request, {
      multiTurn: policy.semantic.multiTurn,
      scopeSalt: `${this.options.embeddingModel}|${this.lshOptions.tables}x${this.lshOptions.bits}:${this.lshOptions.seed}`,
    });
    if (!prompt || prompt.text.length > (this.options.maxPromptChars ?? 8000)) return undefined;
    if (this.now() < this.pausedUntil) return undefined;
    let embedding: ArrayLike<number>;
    try {
      embedding = await this.options.embed(
        prompt.text,
        AbortSignal.timeout(this.options.timeoutMs ?? 2000),
      );
      this.failures = 0;
    } catch (error) {
      this.failures += 1;
      if (this.failures >= (this.options.pauseAfterFailures ?? 3)) {
        this.failures = 0;
        this.pausedUntil = this.now() + (this.options.pauseMs ?? 30_000);
      }
      throw error;
    }
    const vector = unitVector(embedding);
    const index = this.indexFor(vector.length);
    return {
      policy,
      // The dimension joins the scope: a model that changes its output size starts afresh.
      scopeHash: `${prompt.scopeHash}${vector.length.toString(36)}`,
      vector,
      buckets: index.buckets(vector),
      guards: guardFeatures(prompt.text),
    };
  }

  /**
   * The best stored answer at or above `threshold` whose guards agree, or undefined. Three
   * short reads: the query's bucket in every table, the candidates' vectors and guards, the
   * winner's answer. Candidates are counted here rather than in a Lua script: V8 counts a
   * few thousand ids in well under a millisecond, and Redis, which BullMQ shares, is never
   * blocked by a long script.
   */
  async lookup(
    query: SemanticQuery,
    threshold = query.policy.semantic.threshold,
  ): Promise<SemanticHit | undefined> {
    const scope = this.keys.semanticCacheScope(query.policy.owner, query.scopeHash);
    const candidates = this.candidates(await this.redis.hmget(scope.lsh, ...query.buckets));
    if (candidates.length === 0) return undefined;
    const fields: string[] = [];
    for (const id of candidates) fields.push(`g${id}`, `v${id}`);
    const rows = await this.redis.hmgetBuffer(scope.entries, ...fields);
    const now = this.now();
    let best: { id: string; score: number } | undefined;
    for (const [index, id] of candidates.entries()) {
      const guards = rows[index * 2];
      const vector = rows[index * 2 + 1];
      if (!guards || !vector || vector.length !== query.vector.length * 4) continue;
      const score = dotStored(query.vector, vector);
      if (score < threshold || (best && score <= best.score)) continue;
      const stored = JSON.parse(guards.toString()) as StoredGuards;
      if (stored.e <= now) continue;
      if (!guardsAgree(query.guards, { negations: stored.n, numbers: stored.d })) continue;
      best = { id, score };
    }
    if (!best) return undefined;
    const raw = await this.redis.hget(scope.entries, `r${best.id}`);
    if (raw === null) return undefined; // evicted between the two reads
    // Float32 rounding can put an identical vector a hair above 1.
    return { result: JSON.parse(raw) as JobResult, score: Math.min(1, best.score) } as SemanticHit;
  }

  /** Stores a complete, clean answer for the prepared request (callers check it is one). */
  async store(query: SemanticQuery, result: JobResult): Promise<void> {
    const { policy } = query;
    if (policy.ttlSeconds <= 0 || result.finish_reason === 'content_filter') return;
    const now = this.now();
    const scope = this.keys.semanticCacheScope(policy.owner, query.scopeHash);
    const owner = this.keys.semanticCacheOwner(policy.owner);
    const guards: StoredGuards = {
      n: query.guards.negations,
      d: query.guards.numbers,
      e: now + policy.ttlSeconds * 1000,
    };
    await semanticStoreScript.runBuffer(
      this.redis,
      [scope.lsh, scope.entries, owner.seq, owner.age, owner.expiry],
      [
        scope.base,
        now,
        guards.e,
        policy.ttlSeconds,
        policy.semantic.maxEntries,
        Buffer.from(query.vector.buffer, query.vector.byteOffset, query.vector.byteLength),
        JSON.stringify(guards),
        JSON.stringify(result),
        ...query.buckets,
      ],
    );
  }

  /** Ids sharing at least `minCollisions` buckets with the query, most collisions first. */
  private candidates(buckets: Array<string | null>): string[] {
    // Ids are decimal (INCR) joined by commas: parsed in place, no substrings allocated.
    const counts = new Map<number, number>();
    for (const ids of buckets) {
      if (!ids) continue;
      let id = 0;
      for (let index = 0; index <= ids.length; index += 1) {
        const code = index === ids.length ? 44 : ids.charCodeAt(index);
        if (code === 44) {
          counts.set(id, (counts.get(id) ?? 0) + 1);
          id = 0;
        } else {
          id = id * 10 + code - 48;
        }
      }
    }
    const minimum = this.options.minCollisions ?? 2;
    const chosen: Array<[number, number]> = [];
    for (const entry of counts) if (entry[1] >= minimum) chosen.push(entry);
    chosen.sort((left, right) => right[1] - left[1]);
    return chosen.slice(0, this.options.maxCandidates ?? 64).map(([id]) => String(id));
  }

  private indexFor(dimensions: number): LshIndex {
    let index = this.indexes.get(dimensions);
    if (!index) {
      index = new LshIndex(dimensions, this.lshOptions);
      this.indexes.set(dimensions, index);
    }
    return index;
  }
}

/** Dot product of a unit vector and a stored one (Float32, little-endian), without copying. */
function dotStored(vector: Float32Array, stored: Buffer): number {
  let sum = 0;
  for (let index = 0; index < vector.length; index += 1)
    sum += (vector[index] ?? 0) * stored.readFloatLE(index * 4);
  return sum;
}
