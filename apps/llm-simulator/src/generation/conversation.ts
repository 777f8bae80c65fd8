/** A request's prompt in provider-neutral form: `[role, text]` per system prompt or message. */
export type Conversation = ReadonlyArray<readonly [role: string, text: string]>;

/** The text of the last entry with `role`, or `''`. */
export function lastTextOf(conversation: Conversation, role: string): string {
  for (let index = conversation.length - 1; index >= 0; index -= 1) {
    const [entryRole, text] = conversation[index]!;
    if (entryRole === role) return text;
  }
  return '';
}
