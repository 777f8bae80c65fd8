import type { ChatAnswer, Usage } from '../messages/chat-result';

/** A neutral answer with the facts every dialect's response needs. */
export interface DialectAnswer extends ChatAnswer {
  /** Choices 2…n when the client asked for `n` > 1 (OpenAI format only). */
  otherChoices?: ChatAnswer[];
  usage: Usage;
  /** The model name to report (the one the client asked for, or the catalog id). */
  model: string;
  /** The response id to report (`chatcmpl-…`, `msg_…`), made by the caller. */
  id: string;
  /** Creation time, seconds since the epoch. */
  created: number;
  /** The provider's `system_fingerprint`, when it sent one (OpenAI format only). */
  systemFingerprint?: string;
  /** The provider's `service_tier`, when it said (OpenAI format only). */
  serviceTier?: string;
}
