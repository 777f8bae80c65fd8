/** BullMQ queue names. Lanes (interactive, bulk) join `prompts-standard` with the throughput work. */
export const queueNames = {
  /** Async prompt jobs submitted with `POST /v1/jobs`. */
  promptsStandard: 'prompts-standard',
  /** Signed webhook POSTs, one job per delivery. */
  webhookDeliveries: 'webhook-deliveries',
} as const;
export type QueueName = (typeof queueNames)[keyof typeof queueNames];
