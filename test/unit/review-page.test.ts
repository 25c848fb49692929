import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildReviewPage, REVIEW_UI_DIR } from '../../server/review-page';

/**
 * The reviewer page as built at server start from server/review-ui/ (esbuild bundles review.ts):
 * one self-contained document whose CSP allows exactly its own inline script and style. The page's
 * behaviour in a browser is tested in test/e2e/review-page.test.ts.
 */

const hash = (text: string): string =>
  `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
const inline = (html: string, tag: 'script' | 'style'): string[] =>
  [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => m[1] ?? '');

const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

describe('buildReviewPage', () => {
  it('inlines one bundled script and one style, each allowed by its hash and nothing else', async () => {
    const { html, csp } = await buildReviewPage();
    const [script, ...moreScripts] = inline(html, 'script');
    const [style, ...moreStyles] = inline(html, 'style');
    expect(moreScripts).toEqual([]);
    expect(moreStyles).toEqual([]);
    expect(csp).toContain(`script-src ${hash(script!)};`);
    expect(csp).toContain(`style-src ${hash(style!)};`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/unsafe-|https?:|\*/);
    // A bundle: the browser gets no module syntax and nothing to fetch.
    expect(script).not.toMatch(/^\s*(import|export)\s/m);
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet|keel:/);
    // The shared stylesheet, then the page's own.
    const css = (file: string) => readFileSync(path.join(REVIEW_UI_DIR, file), 'utf8');
    expect(style).toBe(`${css('../page-ui/page.css')}\n${css('review.css')}`);
    // Data goes in as text only.
    expect(script).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
  });

  it('lists the task names as options, escaped', async () => {
    const { html } = await buildReviewPage(['classify-ticket', '<b>"x"</b>']);
    expect(html).toContain('<option value="classify-ticket">classify-ticket</option>');
    expect(html).toContain(
      '<option value="&lt;b&gt;&quot;x&quot;&lt;/b&gt;">&lt;b&gt;&quot;x&quot;&lt;/b&gt;</option>',
    );
  });

  it('stops with a clear error when index.html lost a marker', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'keel-review-ui-'));
    scratch.push(root);
    // The page's folder with the shared server/page-ui/ beside it, as in the sources.
    const dir = path.join(root, 'review-ui');
    cpSync(REVIEW_UI_DIR, dir, { recursive: true });
    cpSync(path.join(REVIEW_UI_DIR, '..', 'page-ui'), path.join(root, 'page-ui'), {
      recursive: true,
    });
    const index = path.join(dir, 'index.html');
    writeFileSync(index, readFileSync(index, 'utf8').replace('<!-- keel:task-options -->', ''));
    await expect(buildReviewPage(['summarize'], dir)).rejects.toThrow(/task options marker/);
  });
});
