import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** One relative link of a markdown file: where it points and the line it is on. */
export interface MarkdownLink {
  file: string;
  line: number;
  target: string;
}

/** The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens. */
export function headingSlug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M} _-]/gu, '')
    .replace(/ /g, '-');
}

/** Lines outside fenced code blocks, with their 1-based numbers. */
function proseLines(text: string): Array<{ line: number; text: string }> {
  const lines: Array<{ line: number; text: string }> = [];
  let fenced = false;
  for (const [index, line] of text.split('\n').entries()) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    else if (!fenced) lines.push({ line: index + 1, text: line });
  }
  return lines;
}

/** Every anchor a markdown file offers: its headings' slugs, repeats numbered as GitHub does. */
export function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const { text: line } of proseLines(text)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const slug = headingSlug(heading);
    const count = seen.get(slug) ?? 0;
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
    seen.set(slug, count + 1);
  }
  return anchors;
}

/** The relative links (`[text](target)`) of a markdown file, outside code. */
export function relativeLinksOf(file: string, text: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  for (const { line, text: content } of proseLines(text)) {
    const withoutCode = content.replace(/`[^`]*`/g, '');
    for (const match of withoutCode.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = match[1] ?? '';
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: …
      links.push({ file, line, target });
    }
  }
  return links;
}

/**
 * Why a link is broken (its file or its anchor is missing), or undefined when it is sound.
 * `pending` lists repository paths that may be missing for now (pages still being written).
 */
export function brokenReason(
  link: MarkdownLink,
  pending: ReadonlySet<string>,
  repositoryRoot: string,
): string | undefined {
  const [pathPart = '', anchor] = link.target.split('#', 2);
  const resolved = pathPart
    ? path.resolve(path.dirname(link.file), decodeURIComponent(pathPart))
    : link.file;
  const relative = path.relative(repositoryRoot, resolved);
  if (relative.startsWith('..')) return `points outside the repository: ${relative}`;
  if (!existsSync(resolved)) return pending.has(relative) ? undefined : `no file ${relative}`;
  if (anchor === undefined || !resolved.endsWith('.md') || statSync(resolved).isDirectory())
    return undefined;
  return anchorsOf(readFileSync(resolved, 'utf8')).has(anchor)
    ? undefined
    : `no heading #${anchor} in ${relative}`;
}
