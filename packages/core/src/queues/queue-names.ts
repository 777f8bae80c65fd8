/** BullMQ queue names. An interactive lane joins these with the throughput work. */
export const queueNames = {
  /** Async prompt jobs submitted with `POST /v1/jobs`. */
  promptsStandard: 'prompts-standard',
  /** Batch lines: consumed with a smaller share of each worker's concurrency than standard. */
  promptsBulk: 'prompts-bulk',
  /** Batch bookkeeping: validate and enqueue a file, finalise, expire. */
  batchControl: 'batch-control',
  /** Signed webhook POSTs, one job per delivery. */
  webhookDeliveries: 'webhook-deliveries',
  /** Sync and streamed requests (`/v1/chat/completions`, `/v1/messages`): never behind async work. */
  promptsInteractive: 'prompts-interactive',
} as const;
export type QueueName = (typeof queueNames)[keyof typeof queueNames];
