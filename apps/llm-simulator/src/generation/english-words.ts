/**
 * Plain lowercase English words the simulator strings into replies. Letters only: no
 * apostrophes or digits, so each word stays one pre-tokenizer chunk and token counts add up
 * (see `vocabulary.ts`).
 */
// biome-ignore format: the word list reads better in rows of ten
export const ENGLISH_WORDS: readonly string[] = [
  'the', 'a', 'an', 'this', 'that', 'these', 'every', 'some', 'each', 'our',
  'queue', 'worker', 'system', 'model', 'request', 'answer', 'result', 'token', 'batch', 'job',
  'cache', 'limit', 'retry', 'signal', 'record', 'report', 'value', 'pattern', 'process', 'budget',
  'team', 'market', 'city', 'river', 'garden', 'window', 'morning', 'evening', 'story', 'letter',
  'question', 'problem', 'solution', 'method', 'reason', 'detail', 'example', 'summary', 'plan', 'idea',
  'data', 'network', 'server', 'client', 'message', 'document', 'library', 'language', 'number', 'table',
  'is', 'was', 'will', 'can', 'should', 'might', 'must', 'does', 'has', 'keeps',
  'runs', 'moves', 'holds', 'brings', 'finds', 'makes', 'takes', 'gives', 'shows', 'builds',
  'reads', 'writes', 'sends', 'checks', 'measures', 'explains', 'describes', 'follows', 'improves', 'reduces',
  'quick', 'slow', 'bright', 'quiet', 'simple', 'careful', 'clear', 'steady', 'useful', 'modern',
  'large', 'small', 'early', 'late', 'strong', 'gentle', 'common', 'rare', 'careful', 'honest',
  'in', 'on', 'at', 'with', 'from', 'into', 'over', 'under', 'through', 'between',
  'for', 'about', 'after', 'before', 'during', 'without', 'around', 'across', 'behind', 'near',
  'and', 'but', 'so', 'because', 'while', 'when', 'where', 'although', 'then', 'also',
  'very', 'often', 'always', 'rarely', 'quickly', 'slowly', 'clearly', 'simply', 'mostly', 'nearly',
  'people', 'teacher', 'engineer', 'student', 'writer', 'traveler', 'neighbor', 'friend', 'doctor', 'farmer',
  'time', 'place', 'way', 'part', 'point', 'side', 'level', 'line', 'course', 'case',
  'light', 'water', 'stone', 'paper', 'music', 'coffee', 'bridge', 'forest', 'ocean', 'mountain',
  'work', 'change', 'growth', 'balance', 'order', 'focus', 'effort', 'progress', 'practice', 'design',
];
