import type { Redis } from 'ioredis';
import type { ChatMessage } from '../../messages/chat-message';
import type { ScriptFragment } from '../../redis/lua-script';
import type { RedisKeys } from '../../redis/redis-keys';
import type { ResponseInputListItem } from './response-input-items';
import type { ResponseSettings } from './response-settings';
import {
  deleteTurnScript,
  previousResponseGone,
  readConversationScript,
  saveTurnLua,
  saveTurnScript,
} from './response-store-scripts';

/**
 * Whether an error is a save's (or its job's accept's) refusal of a turn whose previous response
 * is gone (deleted or expired since the conversation was read): answer it as that response not
 * found, as a `previous_response_id` unknown from the start is.
 */
export function isPreviousResponseGone(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith(previousResponseGone);
}

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
   * Only in a response stored before turns were kept apart: the whole conversation up to its
   * answer (a snapshot a later turn's walk stops at). Never written any more.
   */
  conversation?: ChatMessage[];
}

/** What one turn adds to its conversation, kept apart from the stored response. */
export interface ResponseTurn {
  /** The response this turn continues (`previous_response_id`), if any. */
  previousResponseId: string | undefined;
  /**
   * The segment: the previous response's answer (when it had one), then this turn's input, in
   * the neutral message model, without instructions.
   */
  messages: ChatMessage[];
}

export interface ResponseStoreOptions {
  /** How long a stored response is kept from its creation, seconds (env `RESULT_TTL_SECONDS`). */
  ttlSeconds: number;
}

/**
 * The stored responses of each tenant, under tenant-scoped keys, so another tenant's id is
 * simply not found, even as a link in the middle of a chain. Each response keeps only its own
 * turn's segment of the conversation and a link to the response it continues, so a chain of N
 * turns stores O(N) messages rather than O(N²); its conversation is the walk back over the
 * segments, done by one Lua script in one round trip however long the chain is.
 *
 * Lifetimes: the stored response object lives `ttlSeconds` from its creation (`get`, `delete`).
 * Its turn lives apart: reading a conversation (which a new turn does first) extends each turn
 * of the chain to a full lifetime, and the new turn expires with the turn it continues, so an
 * ancestor never expires before a turn that continues it.
 * Deleting a response removes its object at once and its turn unless a later turn continues it
 * (the turn then goes when the last one continuing it is deleted, or expires). A turn lists the
 * turns continuing it and asks their keys whether they still exist, so a child that expired
 * counts as gone as surely as a deleted one; and a turn is saved only while the response it
 * continues exists (checked in the save's own script), so no turn links to one already gone.
 *
 * A response stored before turns were kept apart holds its whole conversation: a walk reaching
 * it takes that as the conversation up to there and gives it a turn of its own, so it lives on
 * with the chain continuing it.
 */
export class ResponseStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly options: ResponseStoreOptions,
  ) {}

  /**
   * Stores a response and its turn (one round trip). A turn continuing another is saved after
   * {@link conversation} read the one it continues, which extended its chain's lifetime: the
   * response and its turn expire with the turn they continue (`ttlSeconds` from that read).
   * A response whose job is being submitted is saved by {@link saveWithJob} instead. Refused
   * (an error {@link isPreviousResponseGone} recognises, nothing written) when the response it
   * continues is gone since that read: deleted or expired.
   */
  async save(tenant: string, response: StoredResponse, turn: ResponseTurn): Promise<void> {
    const { keys, args } = this.saveWithJob(tenant, response, turn);
    await saveTurnScript.run(this.redis, keys, args);
  }

  /**
   * {@link save} as a script fragment, for the response's job to write as its companion
   * (`SubmitOptions.companion`): made by the job's accept script, so the job is never queued
   * without its stored response, and only when the job is new (a replayed `Idempotency-Key`
   * finds the first request's).
   */
  saveWithJob(tenant: string, response: StoredResponse, turn: ResponseTurn): ScriptFragment {
    return {
      script: saveTurnLua,
      keys: [
        this.keys.storedResponse(tenant, response.id),
        this.keys.storedResponseTurn(tenant, response.id),
        ...(turn.previousResponseId
          ? [
              this.keys.storedResponse(tenant, turn.previousResponseId),
              this.keys.storedResponseTurn(tenant, turn.previousResponseId),
            ]
          : []),
      ],
      args: [
        JSON.stringify(response),
        this.options.ttlSeconds,
        turn.previousResponseId ?? '',
        JSON.stringify(turn.messages),
        this.keys.storedResponseTurn(tenant, ''),
        response.id,
      ],
    };
  }

  async get(tenant: string, responseId: string): Promise<StoredResponse | undefined> {
    const json = await this.redis.get(this.keys.storedResponse(tenant, responseId));
    return json === null ? undefined : (JSON.parse(json) as StoredResponse);
  }

  /**
   * The conversation up to a stored response's answer (without the answer, which its job
   * holds): its chain's segments, oldest first, in one round trip. Extends the life of every
   * turn it reads. Undefined when a turn of the chain is gone (expired, or deleted with nothing
   * continuing it). Does not check the response itself (`get` does: a deleted response's turn
   * may live on for the turns continuing it).
   */
  async conversation(tenant: string, responseId: string): Promise<ChatMessage[] | undefined> {
    const reply = (await readConversationScript.run(
      this.redis,
      [this.keys.storedResponseTurn(tenant, responseId)],
      [
        responseId,
        this.keys.storedResponseTurn(tenant, ''),
        this.keys.storedResponse(tenant, ''),
        this.options.ttlSeconds,
      ],
    )) as string[];
    const [end, endId, ...segments] = reply;
    if (end === 'missing' || endId === undefined) return undefined;
    const messages: ChatMessage[] = [];
    if (end === 'snapshot') {
      const snapshot = (JSON.parse(segments.pop() ?? '{}') as StoredResponse).conversation;
      if (!snapshot) return undefined; // a stored response of today's shape without its turn
      await this.keepSnapshot(tenant, endId, snapshot);
      messages.push(...snapshot);
    }
    for (let index = segments.length - 1; index >= 0; index -= 1) {
      for (const message of JSON.parse(segments[index] ?? '[]') as ChatMessage[]) {
        messages.push(message);
      }
    }
    return messages;
  }

  /** Deletes a stored response (and its turn unless a later turn continues it); false when there was none. */
  async delete(tenant: string, responseId: string): Promise<boolean> {
    const deleted = await deleteTurnScript.run(
      this.redis,
      [this.keys.storedResponse(tenant, responseId)],
      [responseId, this.keys.storedResponseTurn(tenant, ''), this.keys.storedResponse(tenant, '')],
    );
    return deleted === 1;
  }

  /**
   * Gives a response stored in the old shape a turn holding its whole conversation, so the chain
   * continuing it no longer depends on the old object's lifetime. Written once per old chain.
   */
  private async keepSnapshot(tenant: string, responseId: string, conversation: ChatMessage[]) {
    const key = this.keys.storedResponseTurn(tenant, responseId);
    await this.redis
      .multi()
      .hset(key, 'previous', '', 'messages', JSON.stringify(conversation))
      .expire(key, this.options.ttlSeconds)
      .exec();
  }
}
