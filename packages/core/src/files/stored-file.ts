import { z } from 'zod';

/** Why a file was stored: `batch` input uploaded by a client, `batch_output` written by llmq. */
export const filePurposeSchema = z.enum(['batch', 'batch_output']);
export type FilePurpose = z.infer<typeof filePurposeSchema>;

/** A stored file's metadata. Times are epoch milliseconds. */
export interface StoredFile {
  id: string;
  tenant: string;
  filename: string;
  purpose: FilePurpose;
  bytes: number;
  /** Lines in the file (a last line without a newline counts). */
  lines: number;
  createdAt: number;
  expiresAt: number;
}

/** What the writer's caller knows about a file; the rest is counted while writing. */
export type NewStoredFile = Pick<StoredFile, 'id' | 'tenant' | 'filename' | 'purpose'>;

/** The OpenAI-compatible view of a stored file (`object: 'file'`, unix seconds). */
export interface FileView {
  id: string;
  object: 'file';
  bytes: number;
  created_at: number;
  expires_at: number;
  filename: string;
  purpose: FilePurpose;
  status: 'processed';
}

export function toFileView(file: StoredFile): FileView {
  return {
    id: file.id,
    object: 'file',
    bytes: file.bytes,
    created_at: Math.floor(file.createdAt / 1000),
    expires_at: Math.floor(file.expiresAt / 1000),
    filename: file.filename,
    purpose: file.purpose,
    status: 'processed',
  };
}
