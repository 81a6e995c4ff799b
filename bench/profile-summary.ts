/**
 * Where a CloudPatrol process spends its time, from a V8 CPU profile (`BENCH_CPU_PROF=<dir> npm run bench`):
 *
 *   npm run bench:profile -- <file.cpuprofile> [windowSeconds=5] [fromSecond]
 *
 * Takes the busiest `windowSeconds` of the profile (the saturation burst; start-up is skipped by naming
 * `fromSecond`) and prints the main thread's time by stage of the ingest path — MQTT receive and acknowledge,
 * JSON decoding and adapters, classification and grouping, building and sending SQL, PostgreSQL's answers,
 * sealing and case intake, alert fan-out, garbage collection, idle — then the heaviest functions. Each sample
 * counts for one stage, so the stages add up to the window.
 *
 *   npm run bench:profile -- <file.heapprofile>
 *
 * The same for a sampling heap profile (`BENCH_HEAP_PROF=<dir>`): bytes allocated by stage, then by allocation site.
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Stages in order of precedence: a sample belongs to the first stage any frame of its stack matches (sealing calls the domain's audit chain: it is sealing). */
const STAGES: { stage: string; test: (f: CallFrame) => boolean }[] = [
  { stage: 'garbage collection', test: (f) => f.functionName === '(garbage collector)' },
  { stage: 'idle', test: (f) => f.functionName === '(idle)' },
  {
    stage: 'sealing, case intake, deadlines',
    test: (f) => /libs\/core\/src\/case-loop\/|audit-log\.repository|evidence\.repository|case-loop\.repository/.test(f.url),
  },
  { stage: 'alert fan-out (SSE)', test: (f) => /libs\/core\/src\/alerts\/|alert-listener\.repository|alerts\.controller/.test(f.url) },
  { stage: 'classification and grouping', test: (f) => /libs\/domain\/src\/(classification|cases)\//.test(f.url) },
  // Profiles of the bench's children name the built files (dist/…/source-router.js), ts-node runs the sources.
  { stage: 'JSON decoding and adapters', test: (f) => /libs\/domain\/src\/(event|adapters)\/|source-router\.[jt]s/.test(f.url) },
  {
    stage: 'PostgreSQL: answers parsed',
    test: (f) => /node_modules\/(pg-protocol|postgres-date|pg-types)\//.test(f.url) || /_handleDataRow|parseRow/.test(f.functionName),
  },
  { stage: 'PostgreSQL: SQL built and sent', test: (f) => /node_modules\/(pg|typeorm)\/|libs\/persistence\//.test(f.url) || f.functionName === 'writev' },
  // aedes and its helpers are the embedded broker of the default start.
  { stage: 'MQTT receive and acknowledge', test: (f) => /node_modules\/(mqtt-packet|mqtt|aedes[^/]*)\/|libs\/messaging\//.test(f.url) },
  { stage: 'ingest batch bookkeeping', test: (f) => /libs\/ingest\//.test(f.url) },
];

interface HeapNode {
  callFrame: CallFrame;
  selfSize: number;
  children: HeapNode[];
}

const siteOf = (f: CallFrame): string => `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(node_modules\/|work\/[^/]+\/)?/, '')}:${f.lineNumber + 1}`;

/** The first stage (in STAGES' precedence) any frame of the stack matches. */
function stageOf(stack: readonly CallFrame[]): string {
  let rank = STAGES.length;
  for (const frame of stack) {
    const hit = STAGES.findIndex((s, k) => k < rank && s.test(frame));
    if (hit >= 0) rank = hit;
  }
  return rank < STAGES.length ? STAGES[rank].stage : 'other (Node, Nest, start-up)';
}

function summariseHeap(file: string): void {
  const { head } = JSON.parse(readFileSync(file, 'utf8')) as { head: HeapNode };
  const byStage = new Map<string, number>();
  const bySite = new Map<string, number>();
  let total = 0;
  const walk = (node: HeapNode, stack: CallFrame[]) => {
    stack.push(node.callFrame);
    if (node.selfSize > 0) {
      total += node.selfSize;
      const stage = stageOf(stack);
      byStage.set(stage, (byStage.get(stage) ?? 0) + node.selfSize);
      const site = siteOf(node.callFrame);
      bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
    }
    for (const child of node.children) walk(child, stack);
    stack.pop();
  };
  walk(head, []);
  const pct = (bytes: number) => `${((100 * bytes) / total).toFixed(1).padStart(5)} %`;
  const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1).padStart(7)} MB`;
  console.log(`${file}: ${(total / 1e6).toFixed(1)} MB allocated while sampled`);
  for (const [stage, bytes] of [...byStage].sort((a, b) => b[1] - a[1])) console.log(`${pct(bytes)} ${mb(bytes)}  ${stage}`);
  console.log('largest allocation sites (self):');
  for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${pct(bytes)} ${mb(bytes)}  ${site}`);
}

function main(): void {
  const [file, windowArg, fromArg] = process.argv.slice(2);
  if (!file) throw new Error('usage: npm run bench:profile -- <file.cpuprofile> [windowSeconds] [fromSecond] | <file.heapprofile>');
  if (file.endsWith('.heapprofile')) return summariseHeap(file);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const windowUs = Number(windowArg ?? 5) * 1e6;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  let t = profile.startTime;
  const at = profile.timeDeltas.map((d) => (t += d));
  const idle = profile.samples.map((s) => byId.get(s)?.callFrame.functionName === '(idle)');

  let from: number;
  if (fromArg !== undefined) from = profile.startTime + Number(fromArg) * 1e6;
  else {
    // The busiest window: the most non-idle time in `windowUs`.
    let best = -1;
    let busy = 0;
    let j = 0;
    from = profile.startTime;
    for (let i = 0; i < at.length; i++) {
      if (!idle[i]) busy += profile.timeDeltas[i];
      while (at[i] - at[j] > windowUs) if (!idle[j++]) busy -= profile.timeDeltas[j - 1];
      if (busy > best) [best, from] = [busy, at[j]];
    }
  }
  const stageTime = new Map<string, number>();
  const selfTime = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    if (at[i] < from || at[i] > from + windowUs) return;
    const dt = profile.timeDeltas[i];
    total += dt;
    const leaf = byId.get(id) as ProfileNode;
    const name = siteOf(leaf.callFrame);
    selfTime.set(name, (selfTime.get(name) ?? 0) + dt);
    let rank = STAGES.length;
    for (let cur: number | undefined = id; cur !== undefined && rank > 0; cur = parent.get(cur)) {
      const frame = (byId.get(cur) as ProfileNode).callFrame;
      const hit = STAGES.findIndex((s, k) => k < rank && s.test(frame));
      if (hit >= 0) rank = hit;
    }
    const stage = rank < STAGES.length ? STAGES[rank].stage : 'other (Node, Nest, start-up)';
    stageTime.set(stage, (stageTime.get(stage) ?? 0) + dt);
  });
  const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)} %`;
  console.log(`${file}: ${(total / 1e6).toFixed(2)} s of the main thread from +${((from - profile.startTime) / 1e6).toFixed(1)} s`);
  for (const [stage, us] of [...stageTime].sort((a, b) => b[1] - a[1])) console.log(`${pct(us)}  ${(us / 1000).toFixed(0).padStart(6)} ms  ${stage}`);
  console.log('heaviest functions (self time):');
  for (const [name, us] of [...selfTime].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${pct(us)}  ${name}`);
}

main();
