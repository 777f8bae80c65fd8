import { jobIdOfResponse, responseIdOfJob } from './response-id';

describe('response ids', () => {
  const hex = '0123456789abcdef0123456789abcdef';

  it('maps a job id to a response id and back', () => {
    expect(responseIdOfJob(`job_${hex}`)).toBe(`resp_${hex}`);
    expect(jobIdOfResponse(`resp_${hex}`)).toBe(`job_${hex}`);
  });

  it('refuses ids llmq did not make', () => {
    expect(jobIdOfResponse(`job_${hex}`)).toBeUndefined();
    expect(jobIdOfResponse('resp_xyz')).toBeUndefined();
    expect(jobIdOfResponse(`resp_${hex}0`)).toBeUndefined();
  });
});
