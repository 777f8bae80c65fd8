import { jobDataView, omittedJobField } from './job-data-view';

describe('jobDataView', () => {
  it('keeps ids and routing, and omits every field that may hold text, listed or not', () => {
    const line = {
      batchId: 'batch_1',
      tenant: 'acme',
      index: 0,
      customId: 'c-1',
      model: 'sim-gpt-fast',
      request: { messages: [{ role: 'user', content: 'secret plans' }] },
      responses: { instructions: 'be the secret planner', metadata: {} },
      createdAt: 1,
    };
    expect(jobDataView(line)).toEqual({
      batchId: 'batch_1',
      tenant: 'acme',
      index: 0,
      customId: 'c-1',
      model: 'sim-gpt-fast',
      request: omittedJobField,
      responses: omittedJobField,
      createdAt: 1,
    });
    expect(jobDataView({ jobId: 'job_1', embedding: { input: ['a'] } })).toEqual({
      jobId: 'job_1',
      embedding: omittedJobField,
    });
    expect(jobDataView({ jobId: 'job_1', aFieldAddedLater: 'text' })).toEqual({
      jobId: 'job_1',
      aFieldAddedLater: omittedJobField,
    });
    expect(jobDataView(null)).toBeNull();
  });
});
