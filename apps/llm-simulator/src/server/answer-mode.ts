/**
 * How a 200 answer is delivered: whole, cut off part-way (`cut-stream` fault), or with
 * invalid JSON (`malformed` fault).
 */
export type AnswerMode = 'whole' | 'cut' | 'malformed';
