import type { JobRecord, StoredResponse } from '@llmq/core';

/** Finds one of the calling tenant's stored responses with its job; undefined when there is none. */
export type StoredResponseLookup = (
  responseId: string,
) => Promise<{ stored: StoredResponse; record: JobRecord } | undefined>;
