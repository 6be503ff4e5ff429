// Pods whose tracking finalizer the Job controller has asked to remove but
// has not yet seen removed (upstream's uidTrackingExpectations). Until the
// informer shows the removal, a sync must not count those pods again.

export class FinalizerExpectations {
  private readonly byJob = new Map<string, Set<string>>();

  expectRemoved(jobKey: string, uids: readonly string[]): void {
    let s = this.byJob.get(jobKey);
    if (!s) this.byJob.set(jobKey, (s = new Set()));
    for (const u of uids) s.add(u);
  }

  removalObserved(jobKey: string, uid: string): void {
    const s = this.byJob.get(jobKey);
    if (!s) return;
    s.delete(uid);
    if (s.size === 0) this.byJob.delete(jobKey);
  }

  /** A snapshot: the set does not change under the caller. */
  expected(jobKey: string): Set<string> {
    return new Set(this.byJob.get(jobKey) ?? []);
  }

  delete(jobKey: string): void {
    this.byJob.delete(jobKey);
  }
}
