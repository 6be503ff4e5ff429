// Group commit: operations submitted while a batch is forming (the rest of the
// current turn of the event loop, up to setImmediate) are handed to `commit`
// together, in arrival order, so a driver can run them in one transaction and
// pay for one fsync instead of one each.
//
// `commit` runs synchronously and returns one outcome per operation: a result
// resolves that operation's promise, an Error rejects it, so one operation's
// failed compare-and-swap never touches its neighbours. If `commit` throws, the
// whole batch failed and every operation in it is rejected with that error.
// Promises settle only after `commit` returned, i.e. once the batch is durable.

import { setImmediate } from 'node:timers';

interface Waiter<Op, R> {
  op: Op;
  resolve: (result: R) => void;
  reject: (err: unknown) => void;
}

/** `R` must not itself be an Error: an Error outcome means that operation failed. */
export class GroupCommit<Op, R> {
  readonly #commit: (ops: readonly Op[]) => (R | Error)[];
  readonly #maxBatch: number;
  #queue: Waiter<Op, R>[] = [];
  #scheduled = false;

  /**
   * @param maxBatch  the most operations per batch: bounds how long one commit
   *   holds the event loop; the rest wait for the next turn, still in order.
   */
  constructor(commit: (ops: readonly Op[]) => (R | Error)[], maxBatch = 256) {
    if (!Number.isSafeInteger(maxBatch) || maxBatch < 1) throw new RangeError(`invalid maxBatch ${maxBatch}`);
    this.#commit = commit;
    this.#maxBatch = maxBatch;
  }

  submit(op: Op): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ op, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(this.#onTurn);
      }
    });
  }

  /** Operations waiting for their batch. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Commits everything queued now, synchronously (before closing, say). */
  flush(): void {
    while (this.#queue.length > 0) this.#commitNext();
  }

  readonly #onTurn = (): void => {
    this.#scheduled = false;
    if (this.#queue.length === 0) return; // flushed already
    this.#commitNext();
    if (this.#queue.length > 0 && !this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#onTurn);
    }
  };

  #commitNext(): void {
    let batch: Waiter<Op, R>[];
    if (this.#queue.length <= this.#maxBatch) {
      batch = this.#queue;
      this.#queue = [];
    } else {
      batch = this.#queue.splice(0, this.#maxBatch);
    }
    let outcomes: (R | Error)[];
    try {
      outcomes = this.#commit(batch.map((w) => w.op));
      if (outcomes.length !== batch.length) {
        throw new Error(`group commit: ${outcomes.length} outcomes for ${batch.length} operations`);
      }
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    for (let i = 0; i < batch.length; i++) {
      const outcome = outcomes[i]!;
      if (outcome instanceof Error) batch[i]!.reject(outcome);
      else batch[i]!.resolve(outcome);
    }
  }
}
