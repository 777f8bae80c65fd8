import { UnrecoverableError } from 'bullmq';
import { z } from 'zod';
import { parseJobData } from './parse-job-data';

const schema = z.object({ jobId: z.string(), prompt: z.string() });

function recordingStore() {
  const failed: Array<{ jobId: string; code: string }> = [];
  return {
    failed,
    fail: async (jobId: string, failure: { code: string }) => {
      failed.push({ jobId, code: failure.code });
      return true;
    },
  };
}

describe('parseJobData', () => {
  it('returns data that parses, failing nothing', async () => {
    const store = recordingStore();
    const data = await parseJobData(
      { id: '1', data: { jobId: 'job_a', prompt: 'hi' } },
      schema,
      store,
    );
    expect(data).toEqual({ jobId: 'job_a', prompt: 'hi' });
    expect(store.failed).toEqual([]);
  });

  it("fails the job's record and the BullMQ job, without a retry, when the data does not parse", async () => {
    const store = recordingStore();
    await expect(
      parseJobData({ id: '7', data: { jobId: 'job_b', prompt: 42 } }, schema, store),
    ).rejects.toBeInstanceOf(UnrecoverableError);
    expect(store.failed).toEqual([{ jobId: 'job_b', code: 'invalid_job' }]);
  });

  it('falls back to the BullMQ job id when the data names no job', async () => {
    const store = recordingStore();
    await expect(parseJobData({ id: '7', data: null }, schema, store)).rejects.toBeInstanceOf(
      UnrecoverableError,
    );
    expect(store.failed).toEqual([{ jobId: '7', code: 'invalid_job' }]);
  });
});
