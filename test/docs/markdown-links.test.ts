import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  anchorsOf,
  brokenReason,
  headingSlug,
  type MarkdownLink,
  relativeLinksOf,
} from './markdown-links';

const repositoryRoot = path.resolve(__dirname, '../..');

/**
 * Pages other branches are writing, which docs/README.md already links. The lead empties this
 * list once they are merged; the test fails for an entry whose page exists, as a reminder.
 */
const pendingPages: readonly string[] = [];

function documentationFiles(): string[] {
  const docs = path.join(repositoryRoot, 'docs');
  return [
    path.join(repositoryRoot, 'README.md'),
    ...readdirSync(docs)
      .filter((name) => name.endsWith('.md'))
      .map((name) => path.join(docs, name)),
  ];
}

function linksOf(file: string): MarkdownLink[] {
  return relativeLinksOf(file, readFileSync(file, 'utf8'));
}

describe('the documentation', () => {
  it('has the front door and one page per concern', () => {
    const pages = documentationFiles().map((file) => path.relative(repositoryRoot, file));
    expect(pages).toEqual(
      expect.arrayContaining([
        'README.md',
        'docs/README.md',
        'docs/api.md',
        'docs/routing-and-resilience.md',
        'docs/limits-and-lanes.md',
        'docs/caching-and-cost.md',
        'docs/batches-and-cli.md',
        'docs/webhooks.md',
        'docs/security.md',
        'docs/observability.md',
        'docs/configuration.md',
        'docs/performance.md',
        'docs/reliability.md',
      ]),
    );
  });

  it('links only to files and headings that exist (pages being written aside)', () => {
    const pending = new Set(pendingPages);
    const links = documentationFiles().flatMap(linksOf);
    expect(links.length).toBeGreaterThan(50);
    const broken = links.flatMap((link) => {
      const reason = brokenReason(link, pending, repositoryRoot);
      const where = `${path.relative(repositoryRoot, link.file)}:${link.line} (${link.target})`;
      return reason ? [`${where}: ${reason}`] : [];
    });
    expect(broken).toEqual([]);
  });

  it('keeps the pending list to pages that are really still missing', () => {
    const written = pendingPages.filter((page) => existsSync(path.join(repositoryRoot, page)));
    // An entry here is merged: remove it from `pendingPages`, so its links are checked again.
    expect(written).toEqual([]);
  });

  it('indexes every page of docs/ and the pages being written', () => {
    const index = path.join(repositoryRoot, 'docs', 'README.md');
    const linked = new Set(
      linksOf(index).map((link) =>
        path.relative(
          repositoryRoot,
          path.resolve(path.dirname(index), link.target.split('#')[0] ?? ''),
        ),
      ),
    );
    const pages = documentationFiles()
      .map((file) => path.relative(repositoryRoot, file))
      .filter((page) => page.startsWith('docs/') && page !== 'docs/README.md');
    expect([...pages, ...pendingPages].filter((page) => !linked.has(page))).toEqual([]);
  });
});

/** Source files (TypeScript and JavaScript, no dependencies or builds) under `folder`. */
function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory())
      return ['node_modules', 'dist', 'results', '.git'].includes(entry.name)
        ? []
        : sourceFiles(full);
    return /\.(ts|mjs|js)$/.test(entry.name) ? [full] : [];
  });
}

describe('the configuration page', () => {
  it('names only variables some code reads', () => {
    const page = readFileSync(path.join(repositoryRoot, 'docs', 'configuration.md'), 'utf8');
    const documented = [...page.matchAll(/^\|[^|]*\|\s*`([A-Z][A-Z0-9_]+)`\s*\|/gm)].map(
      (match) => match[1] ?? '',
    );
    expect(documented).toEqual(expect.arrayContaining(['REDIS_URL', 'API_REFERENCE_OPEN']));
    const code = ['apps', 'packages', 'bench', 'scripts', 'test']
      .flatMap((folder) => sourceFiles(path.join(repositoryRoot, folder)))
      .map((file) => readFileSync(file, 'utf8'))
      .join('\n');
    expect(documented.filter((variable) => !code.includes(variable))).toEqual([]);
  });
});

describe('the link checker', () => {
  let folder: string;
  beforeAll(() => {
    folder = mkdtempSync(path.join(tmpdir(), 'llmq-links-'));
  });
  afterAll(() => {
    rmSync(folder, { recursive: true, force: true });
  });

  it('slugs headings as GitHub does', () => {
    expect(headingSlug('The API reference (`GET /docs`)')).toBe('the-api-reference-get-docs');
    expect(headingSlug('Cost, usage and budgets')).toBe('cost-usage-and-budgets');
    expect([...anchorsOf('# A\n```\n# not a heading\n```\n## A\n')]).toEqual(['a', 'a-1']);
  });

  it('reports a missing file, a missing heading, and tolerates only pending pages', () => {
    const page = path.join(folder, 'page.md');
    writeFileSync(page, '# Title\n\n## Known part\n');
    const source = path.join(folder, 'source.md');
    const text = [
      '[fine](page.md#known-part) [self](#here) [web](https://example.com)',
      '[gone](missing.md) [wrong anchor](page.md#unknown)',
      '`[in code](also-missing.md)`',
      '```',
      '[fenced](fenced-missing.md)',
      '```',
      '[later](later.md)',
      '## Here',
    ].join('\n');
    writeFileSync(source, text);
    const links = relativeLinksOf(source, text);
    expect(links.map((link) => link.target)).toEqual([
      'page.md#known-part',
      '#here',
      'missing.md',
      'page.md#unknown',
      'later.md',
    ]);
    const pending = new Set([path.relative(folder, path.join(folder, 'later.md'))]);
    expect(links.map((link) => brokenReason(link, pending, folder))).toEqual([
      undefined,
      undefined,
      'no file missing.md',
      'no heading #unknown in page.md',
      undefined,
    ]);
  });
});
