import { DEFAULT_FAULT_PROFILE } from '../profiles/model-profile';
import { drawHeaderFault, drawProfileFault } from './draw-fault';

describe('drawing faults', () => {
  it('injects the header fault with its rate', () => {
    const headers = {
      fault: '503' as const,
      faultRate: 0.25,
      retryAfterSeconds: null,
      latencyMs: null,
    };
    expect(drawHeaderFault(headers, () => 0.2)).toBe('503');
    expect(drawHeaderFault(headers, () => 0.3)).toBeNull();
    expect(drawHeaderFault({ ...headers, fault: null }, () => 0)).toBeNull();
  });

  it('lays profile rates over one draw, in order', () => {
    const faults = { ...DEFAULT_FAULT_PROFILE, status429: 0.1, hang: 0.2 };
    expect(drawProfileFault(faults, () => 0.05)).toBe('429');
    expect(drawProfileFault(faults, () => 0.25)).toBe('hang');
    expect(drawProfileFault(faults, () => 0.35)).toBeNull();
    expect(drawProfileFault(DEFAULT_FAULT_PROFILE, () => 0)).toBeNull();
  });

  it('hits each profile fault at roughly its rate', () => {
    const faults = { ...DEFAULT_FAULT_PROFILE, status500: 0.3 };
    let hits = 0;
    for (let index = 0; index < 2000; index += 1) if (drawProfileFault(faults) === '500') hits += 1;
    expect(hits / 2000).toBeGreaterThan(0.2);
    expect(hits / 2000).toBeLessThan(0.4);
  });
});
