import type Anthropic from '@anthropic-ai/sdk';
import type {
  AssistantContentPart,
  CacheControl,
  DocumentPart,
  ImagePart,
  TextPart,
  ToolResultPart,
  UserContentPart,
} from '../../messages/content-part';
import { plainTextOf } from '../../messages/plain-text-document';
import { UnsupportedParameterError } from '../../messages/unsupported-parameter-error';

type Block = Anthropic.ContentBlockParam;
type ImageMediaType = Anthropic.Base64ImageSource['media_type'];
const imageMediaTypes: ReadonlySet<string> = new Set([
  'image/jpeg',
  'image/png',
  'image/gif',
  'image/webp',
]);

/** Where a part sits in the request, for error messages, and the model it is for. */
export interface PartContext {
  path: string;
  modelId: string;
}

function withCacheControl<T extends object>(block: T, cacheControl: CacheControl | undefined): T {
  if (cacheControl === undefined) return block;
  const control: Anthropic.CacheControlEphemeral = { type: 'ephemeral' };
  if (cacheControl.ttl !== undefined) control.ttl = cacheControl.ttl;
  return { ...block, cache_control: control };
}

export function convertTextPart(part: TextPart): Anthropic.TextBlockParam {
  return withCacheControl({ type: 'text', text: part.text }, part.cacheControl);
}

function convertImagePart(part: ImagePart, context: PartContext): Anthropic.ImageBlockParam {
  // `auto` is what every image gets on Anthropic; a chosen resolution cannot be expressed.
  if (part.detail !== undefined && part.detail !== 'auto') {
    throw new UnsupportedParameterError(`${context.path}.detail`, context.modelId);
  }
  if (part.source.type === 'url') {
    return withCacheControl(
      { type: 'image', source: { type: 'url', url: part.source.url } },
      part.cacheControl,
    );
  }
  if (!imageMediaTypes.has(part.source.mediaType)) {
    throw new UnsupportedParameterError(
      `${context.path} (media type ${part.source.mediaType})`,
      context.modelId,
    );
  }
  return withCacheControl(
    {
      type: 'image',
      source: {
        type: 'base64',
        media_type: part.source.mediaType as ImageMediaType,
        data: part.source.data,
      },
    },
    part.cacheControl,
  );
}

function convertDocumentPart(
  part: DocumentPart,
  context: PartContext,
): Anthropic.DocumentBlockParam {
  let source: Anthropic.DocumentBlockParam['source'];
  const text = plainTextOf(part);
  if (part.source.type === 'url') source = { type: 'url', url: part.source.url };
  else if (text !== undefined) source = { type: 'text', media_type: 'text/plain', data: text };
  else if (part.source.mediaType === 'application/pdf') {
    source = { type: 'base64', media_type: 'application/pdf', data: part.source.data };
  } else {
    throw new UnsupportedParameterError(
      `${context.path} (media type ${part.source.mediaType})`,
      context.modelId,
    );
  }
  const block: Anthropic.DocumentBlockParam = { type: 'document', source };
  // Anthropic names a document by its title.
  if (part.filename !== undefined) block.title = part.filename;
  return withCacheControl(block, part.cacheControl);
}

export function convertUserPart(part: UserContentPart, context: PartContext): Block {
  if (part.type === 'text') return convertTextPart(part);
  if (part.type === 'image') return convertImagePart(part, context);
  return convertDocumentPart(part, context);
}

/** Parses tool-call arguments: Anthropic takes the input as an object, not as JSON text. */
function parseArguments(text: string, context: PartContext): Record<string, unknown> {
  if (text.trim() === '') return {};
  try {
    const input: unknown = JSON.parse(text);
    if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
      return input as Record<string, unknown>;
    }
  } catch {
    // Falls through to the refusal below.
  }
  throw new UnsupportedParameterError(
    `${context.path}.arguments`,
    context.modelId,
    '(tool arguments that are not a JSON object) cannot be sent to',
  );
}

export function convertAssistantPart(part: AssistantContentPart, context: PartContext): Block {
  switch (part.type) {
    case 'text':
      return convertTextPart(part);
    case 'tool-call':
      return withCacheControl(
        {
          type: 'tool_use',
          id: part.toolCallId,
          name: part.toolName,
          input: parseArguments(part.arguments, context),
        },
        part.cacheControl,
      );
    case 'reasoning':
      if (part.redactedData !== undefined) {
        return { type: 'redacted_thinking', data: part.redactedData };
      }
      // Anthropic verifies earlier thinking by its signature; unsigned reasoning cannot go back.
      if (part.signature === undefined) {
        throw new UnsupportedParameterError(
          `${context.path} (reasoning without a signature)`,
          context.modelId,
          'cannot be sent to',
        );
      }
      return { type: 'thinking', thinking: part.text, signature: part.signature };
    default: {
      const unreachable: never = part;
      return unreachable;
    }
  }
}

export function convertToolResultPart(
  part: ToolResultPart,
  context: PartContext,
): Anthropic.ToolResultBlockParam {
  const block: Anthropic.ToolResultBlockParam = {
    type: 'tool_result',
    tool_use_id: part.toolCallId,
    content:
      typeof part.content === 'string'
        ? part.content
        : part.content.map((inner, index) =>
            inner.type === 'text'
              ? convertTextPart(inner)
              : convertImagePart(inner, { ...context, path: `${context.path}.content[${index}]` }),
          ),
  };
  if (part.isError !== undefined) block.is_error = part.isError;
  return withCacheControl(block, part.cacheControl);
}
