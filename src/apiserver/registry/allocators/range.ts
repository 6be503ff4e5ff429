// A set of integers handed out from a range (Service IPs as offsets, NodePorts).
// In memory, rebuilt from the stored Services at start; one apiserver owns it.
// (Several apiservers on one etcd need the store-backed allocation of issue 3.)

export class RangeAllocator {
  private readonly used = new Set<number>();
  private next: number;

  constructor(readonly first: number, readonly last: number) { this.next = first; }

  get size(): number { return this.last - this.first + 1; }
  has(n: number): boolean { return this.used.has(n); }
  inRange(n: number): boolean { return Number.isInteger(n) && n >= this.first && n <= this.last; }

  /** Take a specific value; false when taken. */
  allocate(n: number): boolean {
    if (!this.inRange(n) || this.used.has(n)) return false;
    this.used.add(n);
    return true;
  }

  /** Take the next free value after the last one given (round robin, like upstream's random-ish scan). */
  allocateNext(): number | undefined {
    if (this.used.size >= this.size) return undefined;
    for (let i = 0; i < this.size; i++) {
      const n = this.first + ((this.next - this.first + i) % this.size);
      if (!this.used.has(n)) {
        this.used.add(n);
        this.next = n + 1 > this.last ? this.first : n + 1;
        return n;
      }
    }
    return undefined;
  }

  release(n: number): void { this.used.delete(n); }
}
