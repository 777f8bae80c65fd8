import type { ModelTier } from '../catalog/model-catalog';
import type { ChatMessage } from '../messages/chat-message';
import { textOf } from '../messages/text-of';

/** How demanding a request looks, and why. */
export interface ComplexityAssessment {
  /** 0 and up; see {@link tierForScore}. */
  score: number;
  tier: ModelTier;
  /** Human-readable signals that raised the score, e.g. `cues: analyze, 比较`. */
  signals: string[];
}

/** Words asking for reasoning or analysis, English (matched as word stems) and Chinese. */
const englishCues = [
  'analy[sz]',
  'evaluat',
  'explain',
  'compar',
  'reason',
  'prove',
  'proof',
  'derive',
  'critique',
  'assess',
  'trade-?offs?',
  'justify',
  'design',
  'architect',
  'optimi[sz]',
  'debug',
  'diagnos',
  'step by step',
  'pros and cons',
];
const chineseCues = [
  '分析',
  '推理',
  '解释',
  '比较',
  '评估',
  '论证',
  '证明',
  '推导',
  '设计',
  '优化',
  '权衡',
  '为什么',
  '逐步',
];
const englishCuePattern = new RegExp(`\\b(?:${englishCues.join('|')})[a-z]*`, 'gi');
const chineseCuePattern = new RegExp(chineseCues.join('|'), 'g');
/** Asking for a long answer. */
const longOutputPattern =
  /\b(in detail|detailed|thorough(ly)?|comprehensive|in depth|essay|report|at least \d{3,} words|\d{3,} words)\b|详细|全面|深入|报告|不少于\s*\d+\s*字/i;
/** Sequencing words of a multi-step instruction. */
const stepWordsPattern = /\b(first|then|next|finally|after that)\b|首先|然后|接着|最后|其次/gi;
// Spaces and tabs only: with `\s`, every line start of a run of newlines rescanned the whole
// run (150,000 newlines held the API for minutes).
const listItemPattern = /^[ \t]*(\d+[.)、]|[-*•])[ \t]+\S/gm;

/** Score at or above which a request needs the balanced tier, then the strong tier. */
export const tierThresholds = { balanced: 2, strong: 4 } as const;

export function tierForScore(score: number): ModelTier {
  if (score >= tierThresholds.strong) return 'strong';
  if (score >= tierThresholds.balanced) return 'balanced';
  return 'fast';
}

/**
 * Scores a request's complexity from cheap text signals: prompt length, reasoning and
 * analysis cues (English and Chinese), code blocks, multi-step instructions and the output
 * length asked for. Deterministic, no model call: it runs on every `auto` request.
 */
export function assessComplexity(
  messages: readonly ChatMessage[],
  inputTokens: number,
  maxTokens?: number,
): ComplexityAssessment {
  const signals: string[] = [];
  let score = 0;
  // Instructions live in the user turns; a long system prompt alone is no sign of a hard task.
  const text = messages
    .filter((message) => message.role === 'user')
    .map((message) => textOf(message))
    .join('\n');

  if (inputTokens > 2000) {
    score += 3;
    signals.push(`long prompt (${inputTokens} tokens)`);
  } else if (inputTokens > 500) {
    score += 2;
    signals.push(`medium prompt (${inputTokens} tokens)`);
  } else if (inputTokens > 150) {
    score += 1;
    signals.push(`prompt of ${inputTokens} tokens`);
  }

  const cues = new Set<string>();
  for (const match of text.matchAll(englishCuePattern)) cues.add(match[0].toLowerCase());
  for (const match of text.matchAll(chineseCuePattern)) cues.add(match[0]);
  if (cues.size > 0) {
    score += Math.min(cues.size, 3);
    signals.push(`reasoning cues: ${[...cues].slice(0, 6).join(', ')}`);
  }

  if (text.includes('```')) {
    score += 2;
    signals.push('code block');
  }

  const listItems = text.match(listItemPattern)?.length ?? 0;
  const stepWords = new Set(
    [...text.matchAll(stepWordsPattern)].map((match) => match[0].toLowerCase()),
  ).size;
  if (listItems >= 3 || stepWords >= 2) {
    score += 1;
    signals.push('multi-step instructions');
  }

  if (longOutputPattern.test(text) || (maxTokens !== undefined && maxTokens >= 2000)) {
    score += 1;
    signals.push('long answer requested');
  }

  return { score, tier: tierForScore(score), signals };
}
