// Fires N concurrent logins at a running AuthKit server and watches its memory.
// Usage: node scripts/login-load.mjs <base-url> <server-pid> <concurrency>
// Prints one JSON object with latencies, status counts and the server's RSS figures.
import { readFileSync } from 'node:fs';

const [base, pid, concurrencyArg] = process.argv.slice(2);
const concurrency = Number(concurrencyArg ?? 300);
const email = `bench-${Date.now()}@example.com`;
const password = 'correct horse battery staple';

const kib = (field) => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const line = status.split('\n').find((l) => l.startsWith(field + ':'));
  return Number(line.trim().split(/\s+/)[1]);
};

const post = (path, body) =>
  fetch(base + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

const signup = await post('/auth/signup', { email, password, username: 'bench' });
if (signup.status !== 200) throw new Error(`signup failed: ${signup.status} ${await signup.text()}`);
await new Promise((r) => setTimeout(r, 500));
const rssBefore = kib('VmRSS');
const hwmBefore = kib('VmHWM');

let peakRss = rssBefore;
const sampler = setInterval(() => { peakRss = Math.max(peakRss, kib('VmRSS')); }, 5);

const started = performance.now();
const results = await Promise.all(
  Array.from({ length: concurrency }, async () => {
    const t0 = performance.now();
    const res = await post('/auth/login', { email, password });
    await res.arrayBuffer();
    return { status: res.status, ms: performance.now() - t0 };
  }),
);
const wallMs = performance.now() - started;
clearInterval(sampler);
peakRss = Math.max(peakRss, kib('VmRSS'));

const latencies = results.map((r) => r.ms).sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
const statuses = {};
for (const r of results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;

console.log(JSON.stringify({
  concurrency,
  statuses,
  wall_ms: Math.round(wallMs),
  logins_per_s: Math.round((concurrency / wallMs) * 1000 * 10) / 10,
  latency_ms: { p50: Math.round(pct(50)), p90: Math.round(pct(90)), p99: Math.round(pct(99)), max: Math.round(latencies.at(-1)) },
  rss_before_mib: +(rssBefore / 1024).toFixed(1),
  rss_peak_sampled_mib: +(peakRss / 1024).toFixed(1),
  vm_hwm_before_mib: +(hwmBefore / 1024).toFixed(1),
  vm_hwm_after_mib: +(kib('VmHWM') / 1024).toFixed(1),
}));
