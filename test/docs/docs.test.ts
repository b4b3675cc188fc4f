import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONFIGURATION_DOC, renderConfigurationDoc } from '../../scripts/generate-docs';

const ROOT = path.join(__dirname, '..', '..');
const DOCS = path.join(ROOT, 'docs');

/** README.md and every page under docs/. */
function markdownFiles(): string[] {
  const pages: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.md')) pages.push(full);
    }
  };
  walk(DOCS);
  return [path.join(ROOT, 'README.md'), ...pages.sort()];
}

/** Targets of `](target)` links outside fenced code blocks and code spans. */
function links(markdown: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]);
}

const isRelative = (target: string) => !/^[a-z][a-z0-9+.-]*:/i.test(target) && !target.startsWith('#') && !target.startsWith('/');

describe('docs', () => {
  test('docs/configuration.md is what scripts/generate-docs.ts writes from the schema', () => {
    const expected = renderConfigurationDoc();
    const actual = fs.existsSync(CONFIGURATION_DOC) ? fs.readFileSync(CONFIGURATION_DOC, 'utf8') : '(missing)';
    if (actual !== expected) {
      throw new Error('docs/configuration.md is out of date with the configuration schema (lib/config/). Run `npm run docs` and commit the result.');
    }
  });

  test('every relative link in README.md and docs/ points to an existing file', () => {
    const broken: string[] = [];
    for (const file of markdownFiles()) {
      for (const target of links(fs.readFileSync(file, 'utf8')).filter(isRelative)) {
        const resolved = path.resolve(path.dirname(file), decodeURI(target.split('#')[0]));
        if (!fs.existsSync(resolved)) broken.push(`${path.relative(ROOT, file)}: ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  test('every page under docs/ is reachable from the docs index by links', () => {
    const pages = new Set(markdownFiles().filter((f) => f.startsWith(DOCS + path.sep)));
    const reached = new Set<string>();
    const queue = [path.join(DOCS, 'README.md')];
    while (queue.length > 0) {
      const page = queue.pop()!;
      if (reached.has(page) || !pages.has(page)) continue;
      reached.add(page);
      for (const target of links(fs.readFileSync(page, 'utf8')).filter(isRelative)) {
        queue.push(path.resolve(path.dirname(page), decodeURI(target.split('#')[0])));
      }
    }
    expect([...pages].filter((p) => !reached.has(p)).map((p) => path.relative(ROOT, p))).toEqual([]);
  });

  test('README.md stays under 15 KB', () => {
    expect(fs.statSync(path.join(ROOT, 'README.md')).size).toBeLessThan(15 * 1024);
  });
});
