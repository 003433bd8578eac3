/**
 * Runs once per `vitest run`, in the main process, before any test file: probes what the tests
 * need from outside (requirements.ts) and tells the run, in one line each, what is missing and
 * how to get it; and says when waits are stretched for a busy machine (time-scale.ts).
 */
import type { TestProject } from 'vitest/node';
import { probeRequirements } from './requirements.ts';

export default async function setup(project: TestProject): Promise<void> {
  const statuses = await probeRequirements();
  project.provide('requirements', statuses);
  const lines = Object.values(statuses).flatMap((s) => (s.line ? [s.line] : []));
  const scale = Number(process.env.HEARTH_TEST_TIME_SCALE ?? 1);
  if (scale > 1) lines.push(`⏱ waits and timeouts ×${scale} (${process.env.HEARTH_TEST_TIME_SCALE_REASON ?? 'HEARTH_TEST_TIME_SCALE'}); HEARTH_TEST_TIME_SCALE=1 turns this off.`);
  if (lines.length) process.stdout.write(`\n${lines.join('\n')}\n\n`);
}
