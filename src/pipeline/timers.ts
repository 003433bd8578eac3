/**
 * Background work owned by the gateway (after Koishi's plugin-scoped timers): features ask for
 * `every(name, ms, work)` instead of keeping their own setInterval, so nothing runs twice at
 * once, a failure is logged with the job's name instead of crashing, and stop() ends every job
 * and waits for the runs in progress.
 */
import type { Logger } from '../log.ts';

interface Job {
  name: string;
  timer: NodeJS.Timeout;
  running?: Promise<void>;
}

export class BackgroundWork {
  private readonly log: Logger;
  private readonly jobs: Job[] = [];
  private stopped = false;

  constructor(log: Logger) {
    this.log = log;
  }

  every(name: string, intervalMs: number, work: () => Promise<void>, options: { immediately?: boolean } = {}): void {
    if (this.stopped) return;
    const job: Job = { name, timer: setInterval(() => this.run(job, work), intervalMs) };
    job.timer.unref();
    this.jobs.push(job);
    if (options.immediately) this.run(job, work);
  }

  private run(job: Job, work: () => Promise<void>): void {
    if (this.stopped || job.running) return;
    job.running = work()
      .catch((error: unknown) => this.log.warn({ err: error, job: job.name }, 'background work failed; it runs again at its next interval'))
      .finally(() => (job.running = undefined));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const job of this.jobs) clearInterval(job.timer);
    await Promise.allSettled(this.jobs.map((job) => job.running));
  }
}
