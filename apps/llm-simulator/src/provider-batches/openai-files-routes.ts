import { openAiDialect } from '../openai/openai-dialect';
import { readRequestBytes } from '../server/read-request-body';
import type { RouteHandler } from '../server/route-handler';
import { notFound, type ProviderAnswer, pathSegment, providerRoute } from './provider-route';
import { fileObject } from './simulator-files';

export const FILES_PATH = '/v1/files';

const PURPOSES = new Set(['assistants', 'batch', 'fine-tune', 'vision', 'user_data', 'evals']);

/** `POST /v1/files`: a multipart upload of `file` with a `purpose`. */
export const uploadFile: RouteHandler = providerRoute(
  openAiDialect,
  async ({ request, state }): Promise<ProviderAnswer> => {
    const contentType = request.headers['content-type'] ?? '';
    if (!contentType.startsWith('multipart/form-data')) {
      return {
        error: { status: 400, message: 'The request must be multipart/form-data.', param: null },
      };
    }
    const body = await readRequestBytes(request);
    if (!body.ok)
      return { error: { status: 413, message: 'File too large.', code: 'request_too_large' } };
    // Node's fetch Request parses multipart bodies; no dependency needed for a test double.
    const form = await new Request('http://simulator/v1/files', {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: body.bytes,
    }).formData();
    const purpose = form.get('purpose');
    const file = form.get('file');
    for (const name of form.keys()) {
      if (name !== 'purpose' && name !== 'file' && !name.startsWith('expires_after')) {
        return {
          error: {
            status: 400,
            message: `Unrecognized request argument supplied: ${name}`,
            param: name,
          },
        };
      }
    }
    if (typeof purpose !== 'string' || !PURPOSES.has(purpose)) {
      return {
        error: {
          status: 400,
          message: `Invalid value for 'purpose': '${String(purpose)}'. Supported values are: ${[...PURPOSES].map((value) => `'${value}'`).join(', ')}.`,
          param: 'purpose',
          code: 'invalid_value',
        },
      };
    }
    if (file === null || typeof file === 'string') {
      return {
        error: { status: 400, message: "Missing required parameter: 'file'.", param: 'file' },
      };
    }
    const stored = state.files.add(
      file.name,
      purpose,
      Buffer.from(await file.arrayBuffer()),
      state.clock(),
    );
    return { status: 200, json: fileObject(stored) };
  },
);

/** `GET /v1/files/:id`. */
export const retrieveFile: RouteHandler = providerRoute(openAiDialect, ({ state, path }) => {
  const id = pathSegment(path, `${FILES_PATH}/`);
  const file = state.files.get(id);
  return file === undefined ? notFound('file', id) : { status: 200, json: fileObject(file) };
});

/** `DELETE /v1/files/:id`. */
export const deleteFile: RouteHandler = providerRoute(openAiDialect, ({ state, path }) => {
  const id = pathSegment(path, `${FILES_PATH}/`);
  if (!state.files.delete(id)) return notFound('file', id);
  return { status: 200, json: { id, object: 'file', deleted: true } };
});

/** `GET /v1/files/:id/content`: the file's bytes. */
export const fileContent: RouteHandler = providerRoute(openAiDialect, ({ state, path }) => {
  const id = pathSegment(path, `${FILES_PATH}/`);
  const file = state.files.get(id);
  if (file === undefined) return notFound('file', id);
  return { status: 200, raw: file.content, contentType: 'application/octet-stream' };
});
