/**
 * Every Redis key llmq writes is built here, under one prefix. With a hash-tagged prefix
 * such as `{llmq}` all keys (ours and BullMQ's) land in one slot, so the same code runs on
 * Redis Cluster.
 */
export class RedisKeys {
  /** @param prefix key prefix, e.g. `llmq` (env `LLMQ_PREFIX`); also BullMQ's `prefix`. */
  constructor(readonly prefix: string) {
    if (!/^[A-Za-z0-9_{}.-]+$/.test(prefix)) {
      throw new Error(`invalid key prefix "${prefix}": use letters, digits, _ . - { }`);
    }
  }

  /** Hash holding a job's record: status, timestamps, result or error. */
  job(jobId: string): string {
    return `${this.prefix}:job:${jobId}`;
  }

  /** String mapping a tenant's Idempotency-Key to the job it created. */
  idempotency(tenant: string, keyHash: string): string {
    return `${this.prefix}:idem:${tenant}:${keyHash}`;
  }

  /** Hash describing one API key, found by the SHA-256 of the key (the key itself is never stored). */
  apiKey(keyHash: string): string {
    return `${this.prefix}:apikey:${keyHash}`;
  }

  /** String mapping an API key's public id to its hash. */
  apiKeyId(keyId: string): string {
    return `${this.prefix}:apikey-id:${keyId}`;
  }

  /** Set of a tenant's API key ids. */
  tenantApiKeys(tenant: string): string {
    return `${this.prefix}:tenant-keys:${tenant}`;
  }

  /** Set of every tenant that has keys. */
  tenants(): string {
    return `${this.prefix}:tenants`;
  }

  /** Pub/sub channel announcing key hashes whose cached lookups must be dropped. */
  apiKeyInvalidations(): string {
    return `${this.prefix}:apikey-invalidations`;
  }

  /** String holding a tenant's filter policy (JSON). */
  filterPolicy(tenant: string): string {
    return `${this.prefix}:filter-policy:${tenant}`;
  }

  /** Stream of audit events (admin actions, denied requests). */
  auditLog(): string {
    return `${this.prefix}:audit`;
  }

  /** String holding a Bull Board browser session, by the SHA-256 of its cookie. */
  adminSession(sessionHash: string): string {
    return `${this.prefix}:admin-session:${sessionHash}`;
  }

  /** Stream of job-end events waiting to become webhook deliveries (the transactional outbox). */
  webhookOutbox(): string {
    return `${this.prefix}:webhook-outbox`;
  }

  /** Hash holding a tenant's default webhook endpoint: url, events, secrets, disabled. */
  webhookEndpoint(endpointId: string): string {
    return `${this.prefix}:webhook-endpoint:${endpointId}`;
  }

  /** Set of a tenant's webhook endpoint ids. */
  tenantWebhookEndpoints(tenant: string): string {
    return `${this.prefix}:webhook-endpoints:${tenant}`;
  }

  /** Hash holding the secrets that sign a tenant's per-job webhooks. */
  tenantWebhookSecret(tenant: string): string {
    return `${this.prefix}:webhook-secret:${tenant}`;
  }

  /** Hash holding one webhook delivery (one event to one URL): status, body, run. */
  webhookDelivery(deliveryId: string): string {
    return `${this.prefix}:webhook-delivery:${deliveryId}`;
  }

  /** List of a delivery's attempts, oldest first (JSON). */
  webhookDeliveryAttempts(deliveryId: string): string {
    return `${this.prefix}:webhook-attempts:${deliveryId}`;
  }

  /** Set of the delivery ids of one job. */
  jobWebhookDeliveries(jobId: string): string {
    return `${this.prefix}:job-deliveries:${jobId}`;
  }

  /** Hash holding the circuit breaker of one provider model. */
  circuit(provider: string, model: string): string {
    return `${this.prefix}:circuit:${provider}:${model}`;
  }

  /**
   * Sorted set of the calls reserved in one rate-limit window (`scope`: `model:<provider>:<model>`
   * or `account:<provider>`), scored by when they were reserved.
   */
  rateWindowLog(scope: string): string {
    return `${this.prefix}:rate:${scope}:log`;
  }

  /** Hash of one rate-limit window: tokens per reservation, their total, the waiters' schedule. */
  rateWindowTokens(scope: string): string {
    return `${this.prefix}:rate:${scope}:tokens`;
  }

  /** String present while a provider model is paused for every worker; its value says why. */
  ratePause(provider: string, model: string): string {
    return `${this.prefix}:rate-pause:${provider}:${model}`;
  }

  /**
   * Sorted set of the calls in flight on one deployment of a catalog model (`least-busy`),
   * scored by when they started, so a crashed worker's calls age out.
   */
  deploymentInFlight(model: string, deployment: string): string {
    return `${this.prefix}:deployment:${model}:${deployment}:inflight`;
  }

  /** Hash of one deployment's pick statistics: `latency` (moving average, ms). */
  deploymentStats(model: string, deployment: string): string {
    return `${this.prefix}:deployment:${model}:${deployment}:stats`;
  }

  /** Set of every circuit key, so their states can be listed (metrics) without SCAN. */
  circuits(): string {
    return `${this.prefix}:circuits`;
  }

  /** Sorted set of a tenant's failed jobs (dead letters), scored by when they failed. */
  deadLetters(tenant: string): string {
    return `${this.prefix}:dead:${tenant}`;
  }

  /** Redis Stream of a job's events (status changes and token deltas), bounded and with a TTL. */
  jobEvents(jobId: string): string {
    return `${this.prefix}:job-events:${jobId}`;
  }

  /**
   * Pub/sub channel of one API process: the job store announces there the end of each job
   * whose record names it (see `streaming/job-end-watcher.ts`).
   */
  jobEnds(watcherId: string): string {
    return `${this.prefix}:job-ends:${watcherId}`;
  }

  /**
   * String holding what a submitted job needs to be enqueued (lane, data, options), written with
   * its record; read by the replay of a submit and by the submission sweeper.
   */
  submission(jobId: string): string {
    return `${this.prefix}:submission:${jobId}`;
  }

  /** Sorted set of recently accepted job ids, scored by when they were accepted (epoch ms). */
  pendingSubmissions(): string {
    return `${this.prefix}:submissions-pending`;
  }

  /** Lease naming the one worker that sweeps pending submissions right now. */
  submissionSweepLease(): string {
    return `${this.prefix}:submissions-sweep-lease`;
  }

  /**
   * Hash of a job's provider calls that started and have not ended yet (call id → the attempt
   * it becomes if its worker dies mid-call); see `resilience/call-journal.ts`.
   */
  jobOpenCalls(jobId: string): string {
    return `${this.prefix}:job-calls-open:${jobId}`;
  }

  /**
   * List of a job's provider calls made by a run that lost the race to end it (two runs at
   * once): counted here since no stored attempt holds them; see `resilience/call-journal.ts`.
   */
  jobLateCalls(jobId: string): string {
    return `${this.prefix}:job-calls-late:${jobId}`;
  }

  /** Flag asking the worker running a job to stop it (a disconnected streaming client). */
  jobCancelRequest(jobId: string): string {
    return `${this.prefix}:job-cancel:${jobId}`;
  }

  /** Hash holding a stored file's metadata (id, tenant, bytes, purpose, chunk count). */
  file(fileId: string): string {
    return `${this.prefix}:file:${fileId}`;
  }

  /** List of a stored file's content chunks, in order. */
  fileChunks(fileId: string): string {
    return `${this.prefix}:file:${fileId}:chunks`;
  }

  /** Sorted set of a tenant's file ids, scored by creation time (for listing). */
  tenantFiles(tenant: string): string {
    return `${this.prefix}:files:${tenant}`;
  }

  /** Sorted set of a tenant's file ids of one purpose, scored by creation time. */
  tenantFilesOfPurpose(tenant: string, purpose: string): string {
    // Purpose first: it has no colon, so no tenant name can make two keys meet.
    return `${this.prefix}:files-by-purpose:${purpose}:${tenant}`;
  }

  /** Set of the ids of batches created from a file (a running one keeps it from deletion). */
  fileBatches(fileId: string): string {
    return `${this.prefix}:file:${fileId}:batches`;
  }

  /** Hash holding a batch's record: status, counts, timestamps, errors. */
  batch(batchId: string): string {
    return `${this.prefix}:batch:${batchId}`;
  }

  /** Bitmap of a batch's lines that have ended (bit = line index): each line counts once. */
  batchDone(batchId: string): string {
    return `${this.prefix}:batch:${batchId}:done`;
  }

  /** List of a batch's output lines (JSONL), until finalisation copies them into a file. */
  batchOutput(batchId: string): string {
    return `${this.prefix}:batch:${batchId}:output`;
  }

  /**
   * Bitmap of the lines a batch had recorded when its ingest gave up (a copy of its done
   * bitmap then): finalisation lists every other line as not run (`batch_failed`).
   */
  batchRecordedAtFailure(batchId: string): string {
    return `${this.prefix}:batch:${batchId}:recorded-at-failure`;
  }

  /**
   * Bitmap of the lines of a batch whose ingest gave up that are billed: those recorded before
   * (a copy of its done bitmap then), and those whose call ended after (billed once, as their
   * answer comes, though not written in the batch). Kept past the batch's end, until it expires.
   */
  batchBilledAfterFailure(batchId: string): string {
    return `${this.prefix}:batch:${batchId}:billed-after-failure`;
  }

  /**
   * List of a Message Batch's custom_ids in request order, written with its record: its
   * results can name every request even when its input file cannot be read.
   */
  batchCustomIds(batchId: string): string {
    return `${this.prefix}:batch:${batchId}:custom-ids`;
  }

  /** List of a batch's error lines (JSONL), until finalisation copies them into a file. */
  batchErrors(batchId: string): string {
    return `${this.prefix}:batch:${batchId}:errors`;
  }

  /**
   * Hash of one provider batch llmq submitted for a batch's lines: the provider's batch id,
   * its account and model, its status and deadline.
   */
  providerBatch(id: string): string {
    return `${this.prefix}:provider-batch:${id}`;
  }

  /**
   * Hash of the provider batch turnaround llmq has measured, ms (a moving average), by
   * `<provider account>|<upstream model>`.
   */
  providerBatchTurnarounds(): string {
    return `${this.prefix}:provider-batch-turnarounds`;
  }

  /** List of the job data (JSON) of the batch lines one provider batch holds, in order. */
  providerBatchLines(id: string): string {
    return `${this.prefix}:provider-batch:${id}:lines`;
  }

  /** Hash of how many batches are in each live status (validating, in_progress, …). */
  batchStatusCounts(): string {
    return `${this.prefix}:batch-status-counts`;
  }

  /**
   * Sorted set of batches written whose ingest and expiry jobs are not known to be queued yet,
   * scored by creation time (epoch ms): written with the record, cleared once the jobs are
   * added; what the batch sweeper and an Idempotency-Key replay queue again after a crash.
   */
  pendingBatches(): string {
    return `${this.prefix}:batches-pending`;
  }

  /** Lease naming the one worker that sweeps pending batches right now. */
  batchSweepLease(): string {
    return `${this.prefix}:batches-sweep-lease`;
  }

  /**
   * Sorted set of batches whose end waits on a control job a crash can lose (their ingest, or
   * their claimed finalisation), scored by when that was last seen to hold (epoch ms): written
   * with the record and by each script that claims a batch's finalisation, cleared when the
   * batch ends (or its lines alone decide its end). What the batch end sweeper watches.
   */
  unendedBatches(): string {
    return `${this.prefix}:batches-unended`;
  }

  /** Lease naming the one worker that sweeps unended batches right now. */
  batchEndSweepLease(): string {
    return `${this.prefix}:batches-end-sweep-lease`;
  }

  /** Sorted set of a tenant's batch ids, scored by creation time (for listing). */
  tenantBatches(tenant: string): string {
    return `${this.prefix}:batches:${tenant}`;
  }

  /**
   * Sorted set of a tenant's Anthropic Message Batch ids, scored by creation time: listed by
   * `GET /v1/messages/batches`, apart from the OpenAI batches of `GET /v1/batches`.
   */
  tenantMessageBatches(tenant: string): string {
    return `${this.prefix}:message-batches:${tenant}`;
  }

  /** String holding one cached answer (JSON), by tenant and the hash of the exact request. */
  exactCache(tenant: string, requestHash: string): string {
    return `${this.prefix}:cache:exact:${tenant}:${requestHash}`;
  }

  /** String holding one cached answer (JSON) of a shared cache namespace tenants opted into. */
  exactCacheShared(namespace: string, requestHash: string): string {
    return `${this.prefix}:cache:exact-shared:${namespace}:${requestHash}`;
  }

  /** String holding a tenant's cache policy (JSON): TTL, shared namespace, semantic settings. */
  cachePolicy(tenant: string): string {
    return `${this.prefix}:cache-policy:${tenant}`;
  }

  /**
   * Base of one semantic-cache owner's keys: a tenant's own, or a shared namespace's. Under it:
   * `:seq` (entry id counter), `:age` and `:expiry` (sorted sets of `<scope base>|<id>` by
   * creation and expiry time, for the size bound and the TTL), and per scope the two keys of
   * {@link semanticCacheScope}. The store script derives a scope's keys from its base, so the
   * suffixes here and in `semantic-cache-scripts.ts` must agree.
   */
  semanticCacheOwner(owner: { kind: 'tenant' | 'namespace'; id: string }): {
    base: string;
    seq: string;
    age: string;
    expiry: string;
  } {
    const base =
      owner.kind === 'tenant'
        ? `${this.prefix}:cache:semantic:${owner.id}`
        : `${this.prefix}:cache:semantic-shared:${owner.id}`;
    return { base, seq: `${base}:seq`, age: `${base}:age`, expiry: `${base}:expiry` };
  }

  /**
   * The keys of one semantic-cache scope (an owner, a model, the generation parameters):
   * `lsh`, a hash of LSH buckets (`<table>:<signature>` → comma-separated entry ids), and
   * `entries`, a hash of each entry's vector (`v<id>`), guard features (`g<id>`), answer (`r<id>`)
   * and buckets (`s<id>`).
   */
  semanticCacheScope(
    owner: { kind: 'tenant' | 'namespace'; id: string },
    scopeHash: string,
  ): { base: string; lsh: string; entries: string } {
    const base = `${this.semanticCacheOwner(owner).base}:scope:${scopeHash}`;
    return { base, lsh: `${base}:lsh`, entries: `${base}:entries` };
  }

  /**
   * Hash of a subject's sliding rate-limit window: bucket index → weight counted. Subjects are
   * an API key's id (requests) or `tokens:<key id>` (tokens).
   */
  gatewayRateLimit(subject: string): string {
    return `${this.prefix}:ratelimit:${subject}`;
  }

  /** Sorted set of an API key's jobs not yet finished (for `max_concurrent_jobs`). */
  apiKeyActiveJobs(keyId: string): string {
    return `${this.prefix}:key-active-jobs:${keyId}`;
  }

  /**
   * Hash holding one lane's fair-queuing state: its virtual clock `v`, the highest tag handed
   * out `top`, and each tenant+priority flow's last virtual finish tag (see `FairPriority`).
   */
  fairQueue(queueName: string): string {
    return `${this.prefix}:fair:${queueName}`;
  }

  /** String holding a tenant's flow settings (JSON): lane weight, running-job cap (see `TenantFlowStore`). */
  tenantFlow(tenant: string): string {
    return `${this.prefix}:tenant-flow:${tenant}`;
  }

  /**
   * Sorted set of the jobs running now under one cap (`tenant:<tenant>` or `key:<key id>`),
   * scored by when each started (see `running-cap-scripts.ts`).
   */
  runningJobs(scope: string): string {
    return `${this.prefix}:running:${scope}`;
  }

  /**
   * Hash counting the jobs a lane started, per 10-second bucket (field: bucket start, epoch
   * seconds), for the wait estimate of queued jobs (see `LaneThroughput`).
   */
  laneStarts(queueName: string): string {
    return `${this.prefix}:lane-starts:${queueName}`;
  }

  /**
   * Sorted set of a tenant's job ids (the job explorer's index), scored by creation time in ms
   * × 1000 plus a per-tenant sequence (mod 1000), so no two entries share a score.
   */
  tenantJobs(tenant: string): string {
    return `${this.prefix}:tenant-jobs:${tenant}`;
  }

  /**
   * Counter of a tenant's jobs created in one interval of `intervalSeconds` (the one holding
   * `createdMs`): its value (mod 1000) breaks ties between jobs created in one ms, and its first
   * count tells the interval's first job to maintain the index (see `indexNewJobLua`).
   */
  tenantJobSequence(tenant: string, createdMs: number, intervalSeconds: number): string {
    return `${this.prefix}:tenant-jobs-seq:${tenant}:${Math.floor(createdMs / (intervalSeconds * 1000))}`;
  }

  /**
   * Hash of a tenant's cost ledger for one UTC day (`YYYY-MM-DD`): per catalog model, fields
   * `<model>|cost` (nano-dollars), `|input`, `|cached_input`, `|output` (tokens), `|calls`,
   * `|cache_hits`, `|saved_cost`, `|saved_tokens`.
   */
  usageLedger(tenant: string, day: string): string {
    return `${this.prefix}:usage:${tenant}:${day}`;
  }

  /** Hash of a tenant's budget (nano-dollars): `daily_hard`, `daily_soft`, `monthly_hard`, `monthly_soft`. */
  budget(tenant: string): string {
    return `${this.prefix}:budget:${tenant}`;
  }

  /** String counting a tenant's spend, nano-dollars, in one period (`YYYY-MM-DD` or `YYYY-MM`). */
  budgetSpend(tenant: string, period: string): string {
    return `${this.prefix}:budget-spend:${tenant}:${period}`;
  }

  /** Hash of a tenant's budget reservations: job (or batch) id → reserved nano-dollars. */
  budgetReservations(tenant: string): string {
    return `${this.prefix}:budget-held:${tenant}`;
  }

  /** String: the sum of a tenant's reservations, nano-dollars. */
  budgetReserved(tenant: string): string {
    return `${this.prefix}:budget-held-total:${tenant}`;
  }

  /** Sorted set of a tenant's reservation ids, scored by when they expire (epoch ms). */
  budgetReservationExpiry(tenant: string): string {
    return `${this.prefix}:budget-held-expiry:${tenant}`;
  }

  /** Marker: the tenant's soft budget of a period was reported crossed (one log event per period). */
  budgetSoftNotice(tenant: string, period: string): string {
    return `${this.prefix}:budget-soft:${tenant}:${period}`;
  }

  /**
   * String holding a stored Responses API response (settings, input items), JSON; one stored
   * before turns were kept apart also holds its whole conversation.
   */
  storedResponse(tenant: string, responseId: string): string {
    return `${this.prefix}:response:${tenant}:${responseId}`;
  }

  /**
   * Hash of a stored response's turn: `previous` (the response it continues), `messages` (its
   * segment of the conversation, JSON), `children` (turns saved continuing it). The response
   * store's scripts build these keys from the one of an empty id, so the two must agree.
   */
  storedResponseTurn(tenant: string, responseId: string): string {
    return `${this.prefix}:response-turn:${tenant}:${responseId}`;
  }
}
