/** The instrumentation scope name of llmq's spans. */
export const tracerName = 'llmq';
