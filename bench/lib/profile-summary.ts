/**
 * `npx tsx bench/lib/profile-summary.ts <file.cpuprofile>… [--top 30]`: where a V8 CPU profile
 * (`node --cpu-prof`, e.g. from `npm run bench:throughput -- --profile <dir>`) spends its time —
 * self time by function and by place (an npm package, or a file of this repository), as a share
 * of the profile's samples. Idle and GC are listed as such.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

export interface Share {
  name: string;
  ms: number;
  share: number;
}

/** Where a frame's code lives: `pkg:<name>` for node_modules, the repo-relative file, or `node:`. */
export function placeOf(url: string): string {
  if (!url) return '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return `pkg:${rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  if (url.startsWith('node:')) return 'node:internals';
  const root = url.indexOf('/main/');
  return root >= 0 ? url.slice(root + '/main/'.length) : url.replace(/^file:\/\//, '');
}

/** Self time per function and per place, from the sample timeline (ms; shares of the total). */
export function summarize(profile: CpuProfile): {
  totalMs: number;
  byFunction: Share[];
  byPlace: Share[];
} {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    // A sample's time is the delta to the next one.
    const dt = deltas[i + 1] ?? 0;
    selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + dt);
  }
  const fn = new Map<string, number>();
  const place = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const p = placeOf(url);
    const key = `${functionName || '(anonymous)'} ${p}:${lineNumber + 1}`;
    fn.set(key, (fn.get(key) ?? 0) + us);
    const pk = functionName.startsWith('(') && !url ? functionName : p;
    place.set(pk, (place.get(pk) ?? 0) + us);
    total += us;
  }
  const rank = (m: Map<string, number>): Share[] =>
    [...m]
      .map(([name, us]) => ({ name, ms: us / 1000, share: us / Math.max(total, 1) }))
      .sort((a, b) => b.ms - a.ms);
  return { totalMs: total / 1000, byFunction: rank(fn), byPlace: rank(place) };
}

function main(): void {
  const { values, positionals } = parseArgs({
    options: { top: { type: 'string', default: '30' } },
    allowPositionals: true,
  });
  const top = Number(values.top);
  for (const file of positionals) {
    const s = summarize(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
    const line = (x: Share): string =>
      `${(x.share * 100).toFixed(1).padStart(5)} %  ${x.ms.toFixed(0).padStart(7)} ms  ${x.name}`;
    console.log(`\n# ${file}: ${s.totalMs.toFixed(0)} ms sampled\n## by place`);
    s.byPlace.slice(0, top).forEach((x) => console.log(line(x)));
    console.log('## by function');
    s.byFunction.slice(0, top).forEach((x) => console.log(line(x)));
  }
}

if (require.main === module) main();
