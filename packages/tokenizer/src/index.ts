export {
  countTextTokens,
  decodeTokens,
  EXACT_WORK_BUDGET,
  encodeHead,
  encodeText,
  estimateTokens,
  headTokens,
  PIECE_LENGTH,
  TokenTally,
} from './bounded-token-count';
