// The public surface of @llmq/client.
export * from './api-types';
export * from './llmq-client';
export * from './llmq-error';
