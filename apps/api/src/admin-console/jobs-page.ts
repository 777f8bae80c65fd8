import {
  filterInputFromQuery,
  type JobRecord,
  type JobStore,
  jobFilterSchema,
  toJobFilter,
} from '@llmq/core';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { adminListQuerySchema } from '../routes/job-admin-router';
import { queueBoardPath } from './queue-board';

export const jobsPagePath = '/admin/jobs';

const pageQuerySchema = adminListQuerySchema.extend({
  tenant: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/)
    .optional(),
});

/** HTML-escapes text from job records (metadata is client input). */
function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

function row(record: JobRecord): string {
  const cells = [
    record.id,
    record.status,
    record.model,
    record.lane ?? 'standard',
    new Date(record.createdAt).toISOString(),
    record.attempts,
    record.error?.code ?? '',
    record.metadata ? JSON.stringify(record.metadata) : '',
  ];
  return `<tr>${cells.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`;
}

/**
 * The job explorer in the admin console, beside Bull Board: one tenant's jobs with the
 * explorer's filters (the query string of `GET /v1/admin/tenants/:tenant/jobs`), newest first,
 * paged. Read-only and never a prompt; bulk cancel and retry are the admin API's.
 */
export function jobsPage(store: JobStore) {
  return async (request: Request, response: Response): Promise<void> => {
    const parsed = pageQuerySchema.safeParse(request.query);
    const query = parsed.success ? parsed.data : undefined;
    let body = '';
    if (!query) {
      body = `<p role="alert">${escapeHtml(parsed.error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '))}</p>`;
    } else if (query.tenant) {
      const { tenant, limit, cursor, ...filter } = query;
      const page = await store.explorer.page(
        tenant,
        toJobFilter(jobFilterSchema.parse(filterInputFromQuery(filter))),
        { limit, ...(cursor ? { cursor } : {}) },
      );
      const next = new URLSearchParams(request.query as Record<string, string>);
      if (page.nextCursor) next.set('cursor', page.nextCursor);
      body = `<table id="jobs"><thead><tr><th>id</th><th>status</th><th>model</th><th>lane</th><th>created</th><th>attempts</th><th>error</th><th>metadata</th></tr></thead>
<tbody>${page.records.map(row).join('\n')}</tbody></table>
${page.nextCursor ? `<p><a id="next" href="${jobsPagePath}?${escapeHtml(next.toString())}">Older jobs</a></p>` : ''}`;
    }
    const value = (name: string) =>
      escapeHtml(typeof request.query[name] === 'string' ? request.query[name] : '');
    response.type('html').send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>llmq jobs</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: sans-serif; margin: 2rem">
<nav><a href="${queueBoardPath}">Queues (Bull Board)</a> · <strong>Jobs</strong></nav>
<h1>Jobs</h1>
<form method="get" action="${jobsPagePath}">
<label>tenant <input name="tenant" value="${value('tenant')}" required></label>
<label>status <input name="status" value="${value('status')}" placeholder="failed,queued"></label>
<label>model <input name="model" value="${value('model')}"></label>
<label>lane <input name="lane" value="${value('lane')}" placeholder="standard"></label>
<label>metadata <input name="metadata" value="${value('metadata')}" placeholder="key:value"></label>
<label>created after <input name="created_after" value="${value('created_after')}"></label>
<button type="submit">List</button>
</form>
${body}
</body></html>`);
  };
}
