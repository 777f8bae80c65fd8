/**
 * A Responses API response is an llmq job: its id is the job's id with OpenAI's `resp_` prefix
 * (`job_<hex>` ⇄ `resp_<hex>`), so a response needs no id table and survives every restart.
 */
const jobPrefix = 'job_';
const responsePrefix = 'resp_';

/** The Responses API id of a job (`job_abc` → `resp_abc`). */
export function responseIdOfJob(jobId: string): string {
  return jobId.startsWith(jobPrefix) ? responsePrefix + jobId.slice(jobPrefix.length) : jobId;
}

/** The job behind a Responses API id, or undefined when the id is not one llmq made. */
export function jobIdOfResponse(responseId: string): string | undefined {
  if (!responseId.startsWith(responsePrefix)) return undefined;
  const rest = responseId.slice(responsePrefix.length);
  return /^[0-9a-f]{32}$/.test(rest) ? jobPrefix + rest : undefined;
}
