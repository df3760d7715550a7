// Kafka's own tools, from the jars of the test broker: the reference for what Rewind shows.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const scripts = path.resolve(process.cwd(), '..', 'scripts');
export const bootstrap = process.env.REWIND_TEST_BOOTSTRAP ?? '127.0.0.1:19092';

function runClass(cls: string, args: string[]): string {
  return execFileSync(path.join(scripts, 'kafka-run-class'), [cls, ...args], { encoding: 'utf8', timeout: 90_000 });
}

/** kafka-consumer-groups with --bootstrap-server filled in. */
export function consumerGroups(...args: string[]): string {
  return runClass('org.apache.kafka.tools.consumer.group.ConsumerGroupCommand', ['--bootstrap-server', bootstrap, ...args]);
}

/** Gives `group` committed offsets on every partition of `topic` (a new group, owned by one test). */
export function commitOffsets(group: string, topic: string, offset: number): void {
  consumerGroups('--group', group, '--topic', topic, '--reset-offsets', '--to-offset', String(offset), '--execute');
}

/** What ListOffsets answers for `at` (epoch ms) on each partition of `topic`, via Kafka's GetOffsetShell. */
export function offsetsForTime(topic: string, at: number): Map<string, number> {
  const out = runClass('org.apache.kafka.tools.GetOffsetShell', ['--bootstrap-server', bootstrap, '--topic', topic, '--time', String(at)]);
  const offsets = new Map<string, number>();
  for (const line of out.split('\n')) {
    const m = line.trim().match(/^(.+):(\d+):(\d+)$/);
    if (m) offsets.set(`${m[1]}-${m[2]}`, Number(m[3]));
  }
  return offsets;
}

/** A real consumer of `group` reads `count` records of `topic` and commits where it got to on close. */
export function consume(group: string, topic: string, count: number): void {
  runClass('org.apache.kafka.tools.consumer.ConsoleConsumer', [
    '--bootstrap-server', bootstrap, '--topic', topic, '--group', group,
    '--max-messages', String(count), '--timeout-ms', '20000',
  ]);
}

/** The group's committed offsets as Kafka's tool describes them: partition -> offset. */
export function describeOffsets(group: string): Map<string, number> {
  const out = consumerGroups('--describe', '--group', group);
  const offsets = new Map<string, number>();
  for (const line of out.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols[0] === group && /^\d+$/.test(cols[3] ?? '')) offsets.set(`${cols[1]}-${cols[2]}`, Number(cols[3]));
  }
  return offsets;
}
