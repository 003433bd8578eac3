/**
 * Keeps a conversation's messages in the order they arrived. The journal id decides the order of
 * answering, so two events of one conversation must be journaled one after the other: on
 * PostgreSQL two concurrent inserts take their ids and commit in either order (and the claim can
 * see the later one before the earlier one exists), which once answered "and B" before "hello A".
 * Events of different conversations still journal in parallel.
 */
export class ArrivalOrder {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Runs `work` after every earlier call for the same key has settled (succeeded or failed). */
  inOrder<T>(key: string, work: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve();
    const result = before.then(work, work);
    const tail = result.catch(() => {});
    this.tails.set(key, tail);
    // Forget the key once nothing is queued behind this call, so idle conversations cost nothing.
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
