import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis/redis-keys';
import type { FileListQuery, FilePage, FileStorage, FileWriter } from './file-storage';
import { filePurposeSchema, type NewStoredFile, type StoredFile } from './stored-file';

export interface RedisFileStorageOptions {
  /** Size of one stored chunk, bytes (default 256 KiB). */
  chunkBytes?: number;
  /** How long a file stays readable, seconds (env `FILE_TTL_SECONDS`, default 30 days). */
  ttlSeconds: number;
}

/** How long chunks of an upload still in progress are kept, seconds: an abandoned upload expires. */
const uploadTtlSeconds = 3600;
/** Chunks fetched per LRANGE when reading. */
const readPageChunks = 4;

/** Stores files in Redis: a metadata hash and a list of binary chunks of `chunkBytes`. */
export class RedisFileStorage implements FileStorage {
  private readonly chunkBytes: number;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly options: RedisFileStorageOptions,
  ) {
    this.chunkBytes = options.chunkBytes ?? 256 * 1024;
  }

  createWriter(file: NewStoredFile): FileWriter {
    const { redis, keys, chunkBytes } = this;
    const ttlSeconds = this.options.ttlSeconds;
    const chunksKey = keys.fileChunks(file.id);
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let bytes = 0;
    let newlines = 0;
    let endsWithNewline = true;
    let started = false;

    const flush = async (force: boolean) => {
      while (pendingBytes >= chunkBytes || (force && pendingBytes > 0)) {
        const joined = Buffer.concat(pending);
        const size = Math.min(chunkBytes, joined.length);
        const chunk = joined.subarray(0, size);
        const rest = joined.subarray(size);
        pending = rest.length > 0 ? [rest] : [];
        pendingBytes = rest.length;
        // The first chunk replaces whatever an earlier, interrupted write of this id left.
        const pipeline = started ? redis.multi() : redis.multi().del(chunksKey);
        pipeline.rpush(chunksKey, chunk);
        if (!started) pipeline.expire(chunksKey, uploadTtlSeconds);
        started = true;
        await pipeline.exec();
      }
    };

    return {
      get bytes() {
        return bytes;
      },
      get lines() {
        return newlines + (endsWithNewline ? 0 : 1);
      },
      async write(chunk) {
        if (chunk.length === 0) return;
        bytes += chunk.length;
        for (let index = chunk.indexOf(10); index !== -1; index = chunk.indexOf(10, index + 1))
          newlines += 1;
        endsWithNewline = chunk[chunk.length - 1] === 10;
        pending.push(chunk);
        pendingBytes += chunk.length;
        await flush(false);
      },
      async commit(patch = {}) {
        await flush(true);
        const createdAt = Date.now();
        const stored: StoredFile = {
          ...file,
          ...patch,
          bytes,
          lines: newlines + (endsWithNewline ? 0 : 1),
          createdAt,
          expiresAt: createdAt + ttlSeconds * 1000,
        };
        const metaKey = keys.file(file.id);
        await redis
          .multi()
          .hset(metaKey, {
            id: stored.id,
            tenant: stored.tenant,
            filename: stored.filename,
            purpose: stored.purpose,
            bytes: stored.bytes,
            lines: stored.lines,
            created_at: stored.createdAt,
            expires_at: stored.expiresAt,
          })
          .expire(metaKey, ttlSeconds)
          .expire(chunksKey, ttlSeconds)
          // The tenant's listings; an entry outlives its file and is pruned when listed.
          .zadd(keys.tenantFiles(stored.tenant), createdAt, stored.id)
          .expire(keys.tenantFiles(stored.tenant), ttlSeconds)
          .zadd(keys.tenantFilesOfPurpose(stored.tenant, stored.purpose), createdAt, stored.id)
          .expire(keys.tenantFilesOfPurpose(stored.tenant, stored.purpose), ttlSeconds)
          .exec();
        return stored;
      },
      async abort() {
        pending = [];
        pendingBytes = 0;
        await redis.del(chunksKey);
      },
    };
  }

  async get(fileId: string): Promise<StoredFile | null> {
    const fields = await this.redis.hgetall(this.keys.file(fileId));
    if (!fields.id) return null;
    return {
      id: fields.id,
      tenant: fields.tenant ?? '',
      filename: fields.filename ?? '',
      purpose: filePurposeSchema.parse(fields.purpose),
      bytes: Number(fields.bytes ?? 0),
      lines: Number(fields.lines ?? 0),
      createdAt: Number(fields.created_at ?? 0),
      expiresAt: Number(fields.expires_at ?? 0),
    };
  }

  async *read(fileId: string): AsyncIterable<Buffer> {
    const key = this.keys.fileChunks(fileId);
    for (let start = 0; ; start += readPageChunks) {
      const chunks = await this.redis.lrangeBuffer(key, start, start + readPageChunks - 1);
      for (const chunk of chunks) yield chunk;
      if (chunks.length < readPageChunks) return;
    }
  }

  async remove(fileId: string): Promise<void> {
    const file = await this.get(fileId);
    const pipeline = this.redis
      .multi()
      .del(this.keys.file(fileId), this.keys.fileChunks(fileId), this.keys.fileBatches(fileId));
    if (file) {
      pipeline
        .zrem(this.keys.tenantFiles(file.tenant), fileId)
        .zrem(this.keys.tenantFilesOfPurpose(file.tenant, file.purpose), fileId);
    }
    await pipeline.exec();
  }

  /**
   * A page of a tenant's files from its sorted set (by creation time): the cursor's rank, then
   * `limit + 1` ids (the extra one says whether more follow), then their metadata in one
   * pipeline. Entries older than the file TTL are pruned first, so expired files never show.
   */
  async list(tenant: string, query: FileListQuery): Promise<FilePage> {
    const key =
      query.purpose === undefined
        ? this.keys.tenantFiles(tenant)
        : this.keys.tenantFilesOfPurpose(tenant, query.purpose);
    await this.redis.zremrangebyscore(
      key,
      '-inf',
      `(${Date.now() - this.options.ttlSeconds * 1000}`,
    );
    let start = 0;
    if (query.after !== undefined) {
      const rank =
        query.order === 'desc'
          ? await this.redis.zrevrank(key, query.after)
          : await this.redis.zrank(key, query.after);
      if (rank === null) return { files: [], hasMore: false };
      start = rank + 1;
    }
    const stop = start + query.limit;
    const ids =
      query.order === 'desc'
        ? await this.redis.zrevrange(key, start, stop)
        : await this.redis.zrange(key, start, stop);
    const files: StoredFile[] = [];
    for (const file of await Promise.all(ids.slice(0, query.limit).map((id) => this.get(id)))) {
      if (file && file.tenant === tenant) files.push(file);
    }
    return { files, hasMore: ids.length > query.limit };
  }
}
