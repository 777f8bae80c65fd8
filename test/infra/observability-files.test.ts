import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repositoryRoot } from '@llmq/testing';
import { parse } from 'yaml';
import { metricNamesIn, registryHistograms, registryMetricNames } from './metric-names';

const infra = path.join(repositoryRoot, 'infra');
const known = registryMetricNames();
const histograms = registryHistograms();

interface Panel {
  type: string;
  title: string;
  datasource?: { uid: string };
  targets?: { expr: string }[];
}

describe('the Grafana dashboard', () => {
  const dashboard = JSON.parse(
    readFileSync(path.join(infra, 'grafana/dashboards/llmq.json'), 'utf8'),
  ) as { uid: string; panels: Panel[] };
  const queries = dashboard.panels.flatMap((panel) => panel.targets ?? []);

  it('is valid JSON with panels that each query something', () => {
    expect(dashboard.uid).toBe('llmq-overview');
    const graphs = dashboard.panels.filter((panel) => panel.type !== 'row');
    expect(graphs.length).toBeGreaterThan(10);
    for (const panel of graphs) expect(panel.targets?.length).toBeGreaterThan(0);
  });

  it('refers only to metrics the registry defines', () => {
    const used = queries.flatMap((query) => metricNamesIn(query.expr, histograms));
    expect(used.length).toBeGreaterThan(0);
    expect(used.filter((name) => !known.has(name))).toEqual([]);
  });

  it('covers every metric of the registry', () => {
    const used = new Set(queries.flatMap((query) => metricNamesIn(query.expr, histograms)));
    expect([...known].filter((name) => !used.has(name))).toEqual([]);
  });

  it('uses the provisioned Prometheus datasource', () => {
    const provisioning = parse(
      readFileSync(path.join(infra, 'grafana/provisioning/datasources/prometheus.yml'), 'utf8'),
    ) as { datasources: { uid: string; url: string }[] };
    const uid = provisioning.datasources[0]?.uid;
    for (const panel of dashboard.panels.filter((item) => item.type !== 'row'))
      expect(panel.datasource?.uid).toBe(uid);
    const dashboards = parse(
      readFileSync(path.join(infra, 'grafana/provisioning/dashboards/llmq.yml'), 'utf8'),
    ) as { providers: { options: { path: string } }[] };
    expect(dashboards.providers[0]?.options.path).toBe('/var/lib/grafana/dashboards');
  });
});

describe('the alert rules', () => {
  const rules = parse(readFileSync(path.join(repositoryRoot, 'prometheus_rules.yml'), 'utf8')) as {
    groups: { rules: { alert: string; expr: string }[] }[];
  };
  const alerts = rules.groups.flatMap((group) => group.rules);

  it('refer only to metrics the registry defines', () => {
    const used = alerts.flatMap((rule) => metricNamesIn(rule.expr, histograms));
    expect(used.filter((name) => !known.has(name))).toEqual([]);
  });

  it('each have a promtool test that fires and one that does not', () => {
    const tests = parse(readFileSync(path.join(infra, 'prometheus/rules.test.yml'), 'utf8')) as {
      tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
    };
    const cases = tests.tests.flatMap((test) => test.alert_rule_test);
    for (const { alert } of alerts) {
      const mine = cases.filter((item) => item.alertname === alert);
      expect({ alert, fires: mine.some((item) => item.exp_alerts.length > 0) }).toEqual({
        alert,
        fires: true,
      });
      expect({ alert, quiet: mine.some((item) => item.exp_alerts.length === 0) }).toEqual({
        alert,
        quiet: true,
      });
    }
  });
});

describe('metricNamesIn', () => {
  it('finds metric names and maps histogram series to their histogram', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.95, sum by (model, le) (rate(llm_latency_seconds_bucket{model="a"}[5m]))) / ignoring (x) foo_total',
        new Set(['llm_latency_seconds']),
      ),
    ).toEqual(['llm_latency_seconds', 'foo_total']);
  });
});
