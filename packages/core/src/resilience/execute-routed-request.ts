import type { ModelCatalog, ModelEntry } from '../catalog/model-catalog';
import { deploymentsOf, type ModelDeployment } from '../catalog/model-deployments';
import { type DeploymentChooser, weightedChooser } from '../deployments/deployment-picker';
import type { CallGateFactory } from '../limits/call-gate';
import type { GenerateRequest, LanguageModel } from '../providers/language-model';
import { chooseHedgeModel } from '../routing/choose-hedge-model';
import type { RoutingDecision } from '../routing/route-request';
import type { AttemptRecord } from './attempt-record';
import type { CallRecorder } from './call-journal';
import { type ChainLink, onDeployment } from './call-model';
import type { CircuitBreaker } from './circuit-breaker';
import { isRetryableError, type RetryPolicy } from './retry-policy';
import { runFlex } from './run-flex';
import { runHedged } from './run-hedged';
import { type ChainOutcome, type ChainResume, notBeforeOf, runModelChain } from './run-model-chain';

export interface ExecuteRoutedRequestOptions {
  catalog: ModelCatalog;
  /**
   * The adapter of one deployment of a catalog entry, or undefined when its provider account
   * is not configured.
   */
  resolveModel: (entry: ModelEntry, deployment: ModelDeployment) => LanguageModel | undefined;
  breaker?: CircuitBreaker;
  /** Orders a model's deployments (`DeploymentPicker`); default: by weight, no shared state. */
  chooser?: DeploymentChooser;
  /**
   * Provider RPM/TPM limits and pauses shared by every worker (`ProviderRateLimiter`),
   * asked before every call; absent: calls are not limited.
   */
  limiter?: CallGateFactory;
  policy: RetryPolicy;
  /** Injectable for tests. */
  sleep?: (milliseconds: number) => Promise<void>;
}

export interface RoutedRequest {
  decision: RoutingDecision;
  request: Omit<GenerateRequest, 'headers' | 'signal'>;
  hedge?: { model?: string; after_ms: number };
  /** Calls made by earlier worker attempts and where a parked job resumes. */
  progress?: { attempts: AttemptRecord[]; resume?: ChainResume };
  /** Per-call headers; `callNumber` counts this job's calls from 1. */
  headers?: (callNumber: number) => Record<string, string>;
  /** Wraps each model this request calls (tracing, metrics, logs), as middleware from outside. */
  wrapModel?: (
    entry: ModelEntry,
    model: LanguageModel,
    deployment: ModelDeployment,
  ) => LanguageModel;
  /** Records each call as started before it is made, so a crash mid-call is still counted. */
  recorder?: CallRecorder;
  /** Fields for the limiter's log lines about this request (job id, tenant); no prompt text. */
  logFields?: Readonly<Record<string, unknown>>;
  /**
   * Run on the routed model's flex tier first (see `runFlex`), holding its 429s while the
   * deadline (epoch ms) allows, then the ordinary chain on standard.
   */
  flex?: { deadline: number };
}

/**
 * The provider stage of a job: an optional hedge first, then the routed fallback chain with
 * retries and circuit breakers. Attempts of earlier worker attempts are carried over, so the
 * outcome lists every call the job ever made.
 */
export function createRequestExecutor(options: ExecuteRoutedRequestOptions) {
  return async function executeRoutedRequest(routed: RoutedRequest): Promise<ChainOutcome> {
    const chooser = options.chooser ?? weightedChooser;
    const resolve = (entry: ModelEntry, deployment: ModelDeployment) => {
      const model = options.resolveModel(entry, deployment);
      return model && routed.wrapModel ? routed.wrapModel(entry, model, deployment) : model;
    };
    const linkOf = (id: string): ChainLink | undefined => {
      const entry = options.catalog.resolve(id);
      if (!entry) return undefined;
      return new LazyChainLink(entry, deploymentsOf(entry)[0] as ModelDeployment, resolve);
    };
    /** A hedge arm goes to its model's best ranked deployment. */
    const armOf = async (link: ChainLink): Promise<ChainLink> => {
      const [best] = await chooser.order(link.entry);
      return best ? onDeployment(link, best) : link;
    };
    const previous = routed.progress?.attempts ?? [];
    const links = routed.decision.chain
      .map(linkOf)
      .filter((link): link is ChainLink => link !== undefined);
    let previousCalls = previous.filter((attempt) => attempt.outcome !== 'skipped').length;
    let attempts = [...previous];
    const gate = options.limiter?.gateFor({
      inputTokens: routed.decision.input_tokens,
      maxTokens: routed.request.maxTokens,
      reasoning: routed.request.reasoning,
      logFields: routed.logFields,
    });

    // Routed again at run time: flex only when the model now at the head still offers it.
    if (routed.flex && links[0]?.entry.service_tiers.flex) {
      const flex = await runFlex({
        link: links[0],
        request: routed.request,
        deadline: routed.flex.deadline,
        headers: routed.headers,
        previousCalls,
        gate,
        recorder: routed.recorder,
        sleep: options.sleep,
      });
      attempts = [...attempts, ...flex.attempts];
      if (flex.kind === 'success') return { ...flex, attempts };
      if (flex.kind === 'failed')
        return { kind: 'failed', error: flex.error, retryable: false, attempts };
      previousCalls = flex.calls;
    }

    const firstRun = previous.length === 0 && routed.progress?.resume === undefined;
    if (routed.hedge && firstRun && links[0] && !routed.flex) {
      const choice = chooseHedgeModel(options.catalog, routed.decision, {
        model: routed.hedge.model,
        afterMs: routed.hedge.after_ms,
      });
      if (choice.ok) {
        const secondary = linkOf(choice.entry.id) ?? links[0];
        const hedged = await runHedged({
          primary: await armOf(links[0]),
          secondary: await armOf(secondary),
          afterMs: routed.hedge.after_ms,
          request: routed.request,
          headers: routed.headers,
          breaker: options.breaker,
          gate,
          recorder: routed.recorder,
          chooser,
          inputTokens: routed.decision.input_tokens,
        });
        attempts = [...attempts, ...hedged.attempts];
        if (hedged.kind === 'success') return { ...hedged, attempts };
        previousCalls += hedged.attempts.filter((attempt) => attempt.outcome !== 'skipped').length;
        if (hedged.error !== undefined && !isRetryableError(hedged.error)) {
          return { kind: 'failed', error: hedged.error, retryable: false, attempts };
        }
        // Both arms failed with retryable errors: the ordinary chain takes over.
      }
    }

    const outcome = await runModelChain({
      links,
      request: routed.request,
      headers: routed.headers,
      previousCalls,
      breaker: options.breaker,
      gate,
      recorder: routed.recorder,
      chooser,
      policy: options.policy,
      resume: routed.progress?.resume,
      notBefore: notBeforeOf(attempts),
      sleep: options.sleep,
    });
    return { ...outcome, attempts: [...attempts, ...outcome.attempts] };
  };
}

export type RequestExecutor = ReturnType<typeof createRequestExecutor>;

/**
 * A link of a job's chain on its model's first deployment, whose adapter (and its wrappers) is
 * made when a call first needs it: a job's chain names its fallbacks, and most jobs never call
 * one (they were built and wrapped on every job). A class rather than an object literal with a
 * getter: V8 defines a literal's accessor in its runtime on every evaluation, ~2 µs a link and
 * three links a job (`sim-gpt-fast`'s chain), where a class's getter is on its prototype.
 */
class LazyChainLink implements ChainLink {
  private resolved = false;
  private adapter: LanguageModel | undefined;
  /** An own property, not a method: `onDeployment` hands it on to the link it makes. */
  readonly modelFor: (deployment: ModelDeployment) => LanguageModel | undefined;

  constructor(
    readonly entry: ModelEntry,
    readonly deployment: ModelDeployment,
    private readonly resolve: (
      entry: ModelEntry,
      deployment: ModelDeployment,
    ) => LanguageModel | undefined,
  ) {
    this.modelFor = (other) => resolve(entry, other);
  }

  get model(): LanguageModel | undefined {
    if (!this.resolved) {
      this.adapter = this.resolve(this.entry, this.deployment);
      this.resolved = true;
    }
    return this.adapter;
  }
}
