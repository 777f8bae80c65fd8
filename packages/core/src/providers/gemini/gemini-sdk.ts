/**
 * The one door to `@google/genai`. The package ships CommonJS for `require`
 * (`dist/node/index.cjs`) but declares its types only as ES modules, so TypeScript's node16
 * resolution refuses a plain import from our CommonJS build. The module's type is taken in
 * import mode, the value required here; the other types are derived from it.
 */
type GenAI = typeof import('@google/genai', { with: { 'resolution-mode': 'import' }});

let sdk: GenAI | undefined;

/**
 * The SDK, loaded on first use: it takes ~8 MB that a worker whose jobs never reach a Gemini
 * account (or have not yet) need not hold (see `lazy-dependencies.test.ts`).
 */
export function geminiSdk(): GenAI {
  sdk ??= require('@google/genai') as GenAI;
  return sdk;
}

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
