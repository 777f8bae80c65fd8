/**
 * The arguments node itself must be given to run a worker (`node <these> apps/worker/dist/main.js`):
 * V8 sizes the young generation when the process starts, before any of the worker's code runs,
 * so unlike the settings in `heap-tuning.ts` these cannot be set from inside it. Every way llmq
 * starts a worker passes them: `npm start` (scripts/start.mjs), the image's `CMD`
 * (infra/docker/worker.Dockerfile), the benchmarks (bench/lib/harness.mjs); a test checks all three.
 *
 * - **Semi-spaces of 32 MB** (V8's default most is 16): a worker's GC time is mostly the
 *   scavenges of its short-lived per-job objects, and twice the room halves how often they run.
 *   Worker CPU per job ~0.8–0.9× side by side, the drain of 10,000 jobs at concurrency 100
 *   ~30 MB higher, under its 200 MB target (docs/performance.md, "Levers"). A worker started
 *   without it runs the same, with more scavenges.
 */
export const workerNodeArguments: readonly string[] = ['--max-semi-space-size=32'];
