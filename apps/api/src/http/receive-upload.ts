import type { FileStorage, StoredFile } from '@llmq/core';
import { ClientError } from '@llmq/core';
import busboy from 'busboy';
import type { Request } from 'express';

export interface ReceiveUploadOptions {
  storage: FileStorage;
  tenant: string;
  fileId: string;
  maxBytes: number;
  maxLines: number;
  /** Sees each chunk of the file as it is stored (e.g. to hash it). */
  onChunk?: (chunk: Buffer) => void;
}

/**
 * Streams a `multipart/form-data` upload (`file` and `purpose=batch`, as OpenAI's
 * `files.create` sends them) into file storage chunk by chunk: the file is never held whole
 * in memory. Any refusal drops what was written.
 */
export function receiveUpload(
  request: Request,
  options: ReceiveUploadOptions,
): Promise<StoredFile> {
  return new Promise<StoredFile>((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: request.headers,
        limits: { files: 1, fields: 10, fieldSize: 1024 },
      });
    } catch {
      reject(new ClientError('invalid_request', 'the multipart body could not be read'));
      return;
    }
    const writer = options.storage.createWriter({
      id: options.fileId,
      tenant: options.tenant,
      filename: 'upload.jsonl',
      purpose: 'batch',
    });
    let purpose: string | undefined;
    let filename: string | undefined;
    let upload: Promise<void> | undefined;
    let settled = false;

    const refuse = (error: ClientError) => {
      if (settled) return;
      settled = true;
      request.unpipe(parser);
      // Stop reading the rest of a refused upload.
      request.resume();
      void writer.abort().catch(() => undefined);
      reject(error);
    };

    parser.on('field', (name, value) => {
      if (name === 'purpose') purpose = value;
    });
    parser.on('file', (name, stream, info) => {
      if (name !== 'file' || upload) {
        stream.resume();
        return;
      }
      filename = info.filename || 'upload.jsonl';
      upload = (async () => {
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          if (settled) continue;
          if (writer.bytes + chunk.length > options.maxBytes) {
            refuse(
              new ClientError(
                'file_too_large',
                `the file is larger than ${options.maxBytes} bytes`,
              ),
            );
            continue;
          }
          options.onChunk?.(chunk);
          await writer.write(chunk);
          if (writer.lines > options.maxLines + 1) {
            refuse(
              new ClientError('too_many_lines', `the file has more than ${options.maxLines} lines`),
            );
          }
        }
      })();
      upload.catch((error: unknown) => {
        if (settled) return;
        settled = true;
        void writer.abort().catch(() => undefined);
        reject(error);
      });
    });
    parser.on('error', () =>
      refuse(new ClientError('invalid_request', 'the multipart body could not be read')),
    );
    parser.on('close', () => {
      void (async () => {
        try {
          await upload;
          if (settled) return;
          if (!upload) throw new ClientError('invalid_request', 'the form has no "file" part');
          if (purpose !== 'batch')
            throw new ClientError('invalid_request', '"purpose" must be "batch"');
          if (writer.bytes === 0) throw new ClientError('invalid_file', 'the file is empty');
          if (writer.lines > options.maxLines) {
            throw new ClientError(
              'too_many_lines',
              `the file has ${writer.lines} lines; the limit is ${options.maxLines}`,
            );
          }
          const stored = await writer.commit({ purpose: 'batch', filename });
          settled = true;
          resolve(stored);
        } catch (error) {
          if (settled) return;
          settled = true;
          void writer.abort().catch(() => undefined);
          reject(error);
        }
      })();
    });
    // A client that goes away mid-upload leaves no chunks behind.
    request.on('close', () => {
      if (!request.complete)
        refuse(new ClientError('invalid_request', 'the upload was interrupted'));
    });
    request.pipe(parser);
  });
}
