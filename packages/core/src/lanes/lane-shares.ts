/** One lane as a worker process sees it when it balances concurrency. */
export interface LaneLoad {
  /** The lane's configured concurrency share in this process (its `*_CONCURRENCY`). */
  share: number;
  /** Jobs waiting in the lane's queue, across all processes (wait + prioritized). */
  waiting: number;
  /** Jobs of the lane this process is running now. */
  active: number;
}

/**
 * Each lane's concurrency in this process. A lane always keeps its own share, so work that
 * arrives in an idle lane is picked up at once, up to its share. A lane with nothing waiting
 * lends the part of its share it is not using (share - active) to the lanes that have work
 * waiting, split in proportion to their shares (the remainder to the lanes listed first).
 * So the sum may exceed the sum of the shares by what is lent, for as long as the lender's own
 * new jobs overlap the borrowers' running ones (at most one job's run time: BullMQ lowers a
 * worker's concurrency by not fetching, never by stopping a job).
 */
export function planLaneConcurrency(lanes: readonly LaneLoad[]): number[] {
  const plan = lanes.map((lane) => lane.share);
  const borrowers = lanes.flatMap((lane, index) => (lane.waiting > 0 ? [index] : []));
  if (borrowers.length === 0) return plan;
  const spare = lanes.reduce(
    (sum, lane) => (lane.waiting > 0 ? sum : sum + Math.max(0, lane.share - lane.active)),
    0,
  );
  const borrowerShares = borrowers.reduce((sum, index) => sum + (lanes[index]?.share ?? 0), 0);
  let left = spare;
  for (const index of borrowers) {
    const extra = Math.floor((spare * (lanes[index]?.share ?? 0)) / borrowerShares);
    plan[index] = (plan[index] ?? 0) + extra;
    left -= extra;
  }
  for (let turn = 0; left > 0; turn += 1, left -= 1) {
    const index = borrowers[turn % borrowers.length] as number;
    plan[index] = (plan[index] ?? 0) + 1;
  }
  return plan;
}
