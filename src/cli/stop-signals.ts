/**
 * SIGTERM/SIGINT at any moment ends in a clean stop. The handlers are installed before anything
 * starts, so a stop that arrives while the database is being opened or a platform is connecting
 * is not the default "kill now" (which could leave the embedded database open mid-write): the
 * step in progress finishes or is cut short, what was started is stopped, and the database closed.
 */
export interface StopSignals {
  /** The signal received, once one was. */
  readonly requested: NodeJS.Signals | undefined;
  /** Resolves with the first signal. */
  readonly received: Promise<NodeJS.Signals>;
}

export function installStopSignals(): StopSignals {
  let requested: NodeJS.Signals | undefined;
  let resolve: (signal: NodeJS.Signals) => void = () => {};
  const received = new Promise<NodeJS.Signals>((r) => (resolve = r));
  const onSignal = (signal: NodeJS.Signals) => {
    // A second signal while stopping is ignored: the clean stop is already under way.
    if (requested) return;
    requested = signal;
    resolve(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return {
    get requested() {
      return requested;
    },
    received,
  };
}
