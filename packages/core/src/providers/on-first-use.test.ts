import { onFirstUse } from './on-first-use';

describe('onFirstUse', () => {
  it('makes nothing until asked, then makes once and keeps it', () => {
    let makes = 0;
    const client = onFirstUse(() => {
      makes += 1;
      return { id: makes };
    });
    expect(makes).toBe(0);
    const first = client();
    expect(client()).toBe(first);
    expect(makes).toBe(1);
  });
});
