import { plainPromptJobData, promptJobDataSchema } from '@llmq/core';
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

  describe("with the prompt jobs' plain check", () => {
    const promptData = () => ({
      jobId: 'job_c',
      tenant: 't1',
      model: 'sim-gpt-fast',
      request: { messages: [{ role: 'user', content: 'hi' }], maxTokens: 32 },
      createdAt: 1_796_689_963_689,
    });
    const parse = (data: unknown, store: ReturnType<typeof recordingStore>) =>
      parseJobData({ id: '9', data }, promptJobDataSchema, store, plainPromptJobData);

    it("returns plain data as it is, without the schema's copy", async () => {
      const store = recordingStore();
      const data = promptData();
      await expect(parse(data, store)).resolves.toBe(data);
      expect(store.failed).toEqual([]);
    });

    it('parses what the check leaves with the schema, a message with a name as before', async () => {
      const store = recordingStore();
      const data = promptData();
      data.request.messages = [{ role: 'user', content: 'hi', name: 'ann' } as never];
      const parsed = await parse(data, store);
      expect(parsed).not.toBe(data);
      expect(parsed).toEqual(data);
      expect(store.failed).toEqual([]);
    });

    it('fails invalid data as the schema alone does: its record and the BullMQ job, no retry', async () => {
      for (const change of [
        (data: Record<string, unknown>) => {
          data.createdAt = 1.5;
        },
        (data: Record<string, unknown>) => {
          data.request = { messages: [] };
        },
        (data: Record<string, unknown>) => {
          data.request = { messages: [{ role: 'user', content: 'hi' }], stream: true };
        },
      ]) {
        const store = recordingStore();
        const data: Record<string, unknown> = promptData();
        change(data);
        await expect(parse(data, store)).rejects.toBeInstanceOf(UnrecoverableError);
        expect(store.failed).toEqual([{ jobId: 'job_c', code: 'invalid_job' }]);
      }
    });
  });
});
