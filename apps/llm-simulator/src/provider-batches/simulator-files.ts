import { randomIdSuffix } from '../model-call/create-id';

/** A file uploaded to (or written by) the simulator, as OpenAI's Files API describes it. */
export interface SimulatorFile {
  id: string;
  filename: string;
  purpose: string;
  /** Creation time, unix seconds. */
  createdAt: number;
  content: Buffer;
}

/** The Files API's file object (`object: "file"`). */
export function fileObject(file: SimulatorFile): Record<string, unknown> {
  return {
    id: file.id,
    object: 'file',
    bytes: file.content.length,
    created_at: file.createdAt,
    filename: file.filename,
    purpose: file.purpose,
    status: 'processed',
    expires_at: null,
    status_details: null,
  };
}

/** The files of one simulator, in memory. */
export class SimulatorFiles {
  readonly #files = new Map<string, SimulatorFile>();

  add(filename: string, purpose: string, content: Buffer, nowMs: number): SimulatorFile {
    const file = {
      id: `file-${randomIdSuffix(22)}`,
      filename,
      purpose,
      createdAt: Math.floor(nowMs / 1000),
      content,
    };
    this.#files.set(file.id, file);
    return file;
  }

  get(id: string): SimulatorFile | undefined {
    return this.#files.get(id);
  }

  delete(id: string): boolean {
    return this.#files.delete(id);
  }

  clear(): void {
    this.#files.clear();
  }
}
