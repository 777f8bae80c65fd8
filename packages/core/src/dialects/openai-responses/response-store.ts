import type { Redis } from 'ioredis';
import type { ChatMessage } from '../../messages/chat-message';
import type { RedisKeys } from '../../redis/redis-keys';
import type { ResponseInputListItem } from './response-input-items';
import type { ResponseSettings } from './response-settings';

/** What llmq keeps of a Responses API response besides its job (which holds the answer). */
export interface StoredResponse {
  id: string;
  jobId: string;
  /** Seconds since the epoch. */
  createdAt: number;
  settings: ResponseSettings;
  /** This turn's input items with their ids, for `GET /v1/responses/:id/input_items`. */
  inputItems: ResponseInputListItem[];
  /**
   * The conversation up to this turn's answer, in the neutral model, without instructions (a
   * next turn's `previous_response_id` continues it with this response's output).
   */
  conversation: ChatMessage[];
}

export interface ResponseStoreOptions {
  /** How long a stored response is kept from its creation, seconds (env `RESULT_TTL_SECONDS`). */
  ttlSeconds: number;
}

/**
 * The stored responses of each tenant, one Redis string per response under a tenant-scoped
 * key, so another tenant's id is simply not found. The whole conversation is stored with each
 * turn: a next turn reads it in one round trip, whatever the chain's length.
 */
export class ResponseStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly options: ResponseStoreOptions,
  ) {}

  async save(tenant: string, response: StoredResponse): Promise<void> {
    await this.redis.set(
      this.keys.storedResponse(tenant, response.id),
      JSON.stringify(response),
      'EX',
      this.options.ttlSeconds,
    );
  }

  async get(tenant: string, responseId: string): Promise<StoredResponse | undefined> {
    const json = await this.redis.get(this.keys.storedResponse(tenant, responseId));
    return json === null ? undefined : (JSON.parse(json) as StoredResponse);
  }

  /** Deletes a stored response; false when there was none. */
  async delete(tenant: string, responseId: string): Promise<boolean> {
    return (await this.redis.del(this.keys.storedResponse(tenant, responseId))) > 0;
  }
}
