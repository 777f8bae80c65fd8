import type { ScriptFragment } from '../redis/lua-script';

/**
 * A record that must exist whenever its job can run (a Responses API stored response), written
 * by the job's accept script itself (see `submit-scripts.ts`): only when the job is new (a
 * replayed or conflicting `Idempotency-Key` writes nothing) and before the job is queued or
 * recorded, so no crash or Redis error can leave the job without it.
 *
 * Its `script` is a function body of its own `keys` and `args`; each text is a variant of the
 * accept script (one per kind of companion). Its keys must share the job keys' hash slot on
 * Redis Cluster (build them with `RedisKeys`). It must be harmless without its job: a submit
 * that fails after the accept (the two-step enqueue's `abandon`) or an add that raises leaves
 * it behind, to expire with its own TTL.
 */
export type CompanionWrite = ScriptFragment;
