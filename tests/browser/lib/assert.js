import { AssertionError } from 'node:assert';

/** Fails with `title` and the problems listed (at most `max` of them) when `problems` is not empty. */
export function assertNone(problems, title, max = 30) {
  if (problems.length === 0) return;
  const shown = problems.slice(0, max).map((p) => `  ${String(p).replace(/\n/g, '\n  ')}`);
  if (problems.length > max) shown.push(`  ... and ${problems.length - max} more`);
  throw new AssertionError({ message: `${title} (${problems.length}):\n${shown.join('\n')}` });
}
