/**
 * The one door to `@google/genai`. The package ships CommonJS for `require`
 * (`dist/node/index.cjs`) but declares its types only as ES modules, so TypeScript's node16
 * resolution refuses a plain import from our CommonJS build. The module's type is taken in
 * import mode, the value required, once, here; the other types are derived from it.
 */
type GenAI = typeof import('@google/genai', { with: { 'resolution-mode': 'import' }});

const sdk: GenAI = require('@google/genai');

export const { GoogleGenAI, FinishReason, FunctionCallingConfigMode } = sdk;
export type GoogleGenAIClient = InstanceType<GenAI['GoogleGenAI']>;
export type GenerateContentResponse = InstanceType<GenAI['GenerateContentResponse']>;
export type GenerateContentResponseUsageMetadata = NonNullable<
  GenerateContentResponse['usageMetadata']
>;
export type Content = NonNullable<
  NonNullable<GenerateContentResponse['candidates']>[number]['content']
>;
export type Part = NonNullable<Content['parts']>[number];
export type GenerateContentConfig = NonNullable<
  Parameters<GoogleGenAIClient['models']['generateContent']>[0]['config']
>;
export type ToolConfig = NonNullable<GenerateContentConfig['toolConfig']>;
