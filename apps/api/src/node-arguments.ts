/**
 * The arguments node itself must be given to run the API (`node <these> apps/api/dist/main.js`):
 * V8 sizes the young generation when the process starts, before any of the API's code runs, and
 * `v8.setFlagsFromString` later does not resize it. Every way llmq starts the API passes them:
 * `npm start` (scripts/start.mjs), the image's `CMD` (infra/docker/api.Dockerfile), the
 * benchmarks (bench/lib/harness.mjs); a test checks all three.
 *
 * - **Semi-spaces of 32 MB** (V8's default most is 16): the API's GC is mostly the scavenges of
 *   each request's short-lived objects (~85 KB per submit, ~135 KB per sync request) with the
 *   requests in flight surviving each one, and twice the room halves how often they run
 *   (docs/performance.md, "Levers"). An API started without it runs the same, with more GC.
 */
export const apiNodeArguments: readonly string[] = ['--max-semi-space-size=32'];
