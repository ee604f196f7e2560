// check-node-engines.mjs LOCKFILE...: every package a lockfile resolves must
// run on Debian 12's own Node.js. The development machines and CI may carry a
// newer Node.js from elsewhere, where a dependency that needs more installs
// and passes; on a fresh Debian 12 it then fails. This makes that drift a
// failure everywhere. Also checks the Node.js running this script.
//
// Exit 0 when every `engines.node` range admits both versions, 1 otherwise
// (naming each package), 2 on a usage error or a range this reader does not
// understand (better a loud failure than a silent pass).
import { readFileSync } from 'node:fs';

// Debian 12 (bookworm) ships nodejs 18.20.4+dfsg (bookworm and
// bookworm-security); the oldest point release matters, not the newest.
const DEBIAN12_NODE = '18.20.4';

function parse(v) {
  const m = /^v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-[0-9A-Za-z.-]+)?$/.exec(v);
  if (!m) return null;
  const part = (s) => (s === undefined || /^[xX*]$/.test(s) ? null : Number(s));
  return [part(m[1]), part(m[2]), part(m[3])];
}

function cmp(a, b) {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

// One comparator ("^18.18.0", ">=14", "18.x", "*") as [[op, version]...].
function comparator(tok) {
  const m = /^(\^|~|>=|<=|>|<|=)?(.*)$/.exec(tok);
  const op = m[1] || '', p = parse(m[2]);
  if (!p) throw new Error(`cannot read "${tok}"`);
  const [M, N, P] = p;
  const lo = [M ?? 0, N ?? 0, P ?? 0];
  const up = (i) => (i === 0 ? [M + 1, 0, 0] : i === 1 ? [M, N + 1, 0] : [M, N, P + 1]);
  const last = P !== null ? 2 : N !== null ? 1 : M !== null ? 0 : -1;
  if (last < 0) return op === '<' || op === '>' ? [['<', [0, 0, 0]]] : [];
  switch (op) {
  case '>=': return [['>=', lo]];
  case '<': return [['<', lo]];
  case '>': return last === 2 ? [['>', lo]] : [['>=', up(last)]];
  case '<=': return last === 2 ? [['<=', lo]] : [['<', up(last)]];
  case '^': {
    const first = M > 0 || last === 0 ? 0 : N > 0 || last === 1 ? 1 : 2;
    return [['>=', lo], ['<', up(first)]];
  }
  case '~': return [['>=', lo], ['<', up(last === 0 ? 0 : 1)]];
  default: return last === 2 ? [['=', lo]] : [['>=', lo], ['<', up(last)]];
  }
}

export function satisfies(version, range) {
  const v = parse(version);
  return range.split('||').some((alt) => {
    let set = alt.trim().replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1');
    const hy = /^(\S+)\s+-\s+(\S+)$/.exec(set);
    if (hy) set = `>=${hy[1]} <=${hy[2]}`;
    const toks = set === '' ? [] : set.split(/\s+/);
    return toks.flatMap(comparator).every(([op, b]) => {
      const c = cmp(v, b);
      return op === '>=' ? c >= 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : op === '<' ? c < 0 : c === 0;
    });
  });
}

// The reader itself, on ranges seen in real lockfiles: a wrong answer here
// would turn the check below into one that cannot fail.
const known = [
  ['18.20.4', '>=20', false], ['18.20.4', '>=18', true], ['18.20.4', '^14.17.0 || ^16.13.0 || >=18.0.0', true],
  ['18.20.4', '^18.18.0 || ^20.9.0 || >=21.1.0', true], ['18.17.0', '^18.18.0 || >=20', false],
  ['18.20.4', '>= 0.8', true], ['18.20.4', '*', true], ['18.20.4', '12 || >=14', true],
  ['18.20.4', '<18', false], ['18.20.4', '18.x', true], ['18.20.4', '~18.19', false],
  ['18.20.4', '>=16.0.0 <18.0.0', false], ['18.20.4', '16 - 18', true], ['18.20.4', '>18.20.4', false],
];
for (const [v, r, want] of known) {
  if (satisfies(v, r) !== want) {
    console.error(`check-node-engines: self-check failed: ${v} against "${r}" should be ${want}`);
    process.exit(2);
  }
}

if (process.argv.length < 3) {
  console.error('usage: node check-node-engines.mjs LOCKFILE...');
  process.exit(2);
}
const running = process.version.slice(1);
let bad = 0, seen = 0;   // packages with an engines.node range, and those it refuses
for (const file of process.argv.slice(2)) {
  const lock = JSON.parse(readFileSync(file, 'utf8'));
  for (const [where, pkg] of Object.entries(lock.packages ?? {})) {
    const range = pkg.engines?.node;
    if (!range) continue;
    seen++;
    const name = where === '' ? `${lock.name} (the package itself)` : `${where.replace(/^.*node_modules\//, '')}@${pkg.version}`;
    let ok;
    try {
      ok = [DEBIAN12_NODE, running].filter((v) => !satisfies(v, range));
    } catch (e) {
      console.error(`check-node-engines: ${file}: ${name}: engines.node "${range}": ${e.message}`);
      process.exit(2);
    }
    for (const v of ok) {
      const who = v === DEBIAN12_NODE ? "Debian 12's Node.js" : 'the Node.js running here';
      console.log(`not ok - ${file}: ${name} needs node "${range}"; ${who} is ${v}`);
    }
    if (ok.length) bad++;
  }
}
console.log(`# ${seen} engines ranges read; Debian 12's Node.js ${DEBIAN12_NODE}, running ${running}`);
console.log(`${seen - bad} passed, ${bad} failed`);
process.exit(bad ? 1 : 0);
