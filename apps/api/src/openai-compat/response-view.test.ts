import {
  type FinishReason,
  type JobRecord,
  type JobResult,
  openAiEventForJob,
  type StoredResponse,
} from '@llmq/core';
import { responseViewOf } from './response-view';

const stored: StoredResponse = {
  id: 'resp_0123456789abcdef0123456789abcdef',
  jobId: 'job_0123456789abcdef0123456789abcdef',
  createdAt: 1_700_000_000,
  inputItems: [],
  settings: {
    model: 'sim-gpt-fast',
    instructions: null,
    tools: [],
    tool_choice: 'auto',
    parallel_tool_calls: true,
    temperature: null,
    top_p: null,
    max_output_tokens: null,
    metadata: {},
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    text: { format: { type: 'text' }, verbosity: 'medium' },
    truncation: 'disabled',
    store: true,
    background: true,
    service_tier: 'auto',
    safety_identifier: null,
    prompt_cache_key: null,
    encrypted_reasoning: false,
  },
};

function resultEndingWith(finishReason: FinishReason): JobResult {
  return {
    text: 'hi',
    message: { role: 'assistant', content: 'hi' },
    finish_reason: finishReason,
    model: 'sim-gpt-fast',
    upstream_model: 'sim-gpt-fast',
    provider: 'simulator-openai',
    usage: { input_tokens: 3, output_tokens: 1, cached_input_tokens: 0, total_tokens: 4 },
    timings: { queue_wait_ms: 1, provider_ms: 2, total_ms: 3 },
  };
}

function jobRecord(status: JobRecord['status'], result?: JobResult): JobRecord {
  return {
    id: stored.jobId,
    tenant: 'acme',
    model: 'sim-gpt-fast',
    priority: 5,
    createdAt: 1_700_000_000_000,
    status,
    attempts: 1,
    resultWrites: result ? 1 : 0,
    surface: 'responses',
    ...(result ? { result, finishedAt: 1_700_000_001_000 } : {}),
  };
}

describe('a response polled and its webhook', () => {
  const ended: Array<[JobRecord['status'], FinishReason | undefined, string]> = [
    ['completed', 'stop', 'completed'],
    ['completed', 'tool_calls', 'completed'],
    ['completed', 'length', 'incomplete'],
    ['completed', 'content_filter', 'incomplete'],
    ['failed', undefined, 'failed'],
    ['cancelled', undefined, 'cancelled'],
  ];
  it.each(ended)(
    'a %s job (finish reason %s) is a %s response, and its event says so',
    (status, finishReason, expected) => {
      const record = jobRecord(status, finishReason ? resultEndingWith(finishReason) : undefined);
      const view = responseViewOf(stored, record);
      expect(view.status).toBe(expected);
      expect(openAiEventForJob(status, record)).toBe(`response.${expected}`);
    },
  );

  it('shows a job still queued or running as queued or in_progress, with no event', () => {
    expect(responseViewOf(stored, jobRecord('queued')).status).toBe('queued');
    expect(responseViewOf(stored, jobRecord('active')).status).toBe('in_progress');
    expect(openAiEventForJob('active', jobRecord('active'))).toBeUndefined();
  });

  it('says why a response is incomplete', () => {
    const view = responseViewOf(stored, jobRecord('completed', resultEndingWith('length')));
    expect(view.incomplete_details).toEqual({ reason: 'max_output_tokens' });
  });
});
