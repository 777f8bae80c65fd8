/**
 * The simulator's clock, in milliseconds since the epoch. `Date.now` unless a test gives its
 * own (`startSimulator({ clock })`), so time-dependent behaviour (prompt-cache expiry, rate
 * windows) is deterministic under test.
 */
export type SimulatorClock = () => number;
