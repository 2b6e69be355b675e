// Runs `worker` over items with at most `limit` at a time, in order of start; a slow item
// holds only its own slot. Used by load runs (sessions) and fleet runs (scripts × targets).
export async function pool<T>(items: readonly T[] | number, limit: number, worker: (item: T, index: number) => Promise<void>, stop?: () => boolean): Promise<void> {
  const count = typeof items === "number" ? items : items.length;
  const at = (index: number) => (typeof items === "number" ? (index as T) : items[index]!);
  let next = 0;
  const lane = async () => {
    while (next < count && !stop?.()) {
      const index = next++;
      await worker(at(index), index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, count)) }, lane));
}

/**
 * Hands results on in the order of their indexes, each as soon as every earlier one has come:
 * runs that finish out of order are reported in the order they were given.
 */
export class InOrder<T> {
  private readonly waiting = new Map<number, T>();
  private next = 0;

  constructor(private readonly deliver: (value: T) => void) {}

  done(index: number, value: T): void {
    this.waiting.set(index, value);
    for (let ready = this.waiting.get(this.next); ready !== undefined; ready = this.waiting.get(this.next)) {
      this.waiting.delete(this.next++);
      this.deliver(ready);
    }
  }

  /** What is still held (runs after one that never ended), in order. */
  flush(): void {
    for (const index of [...this.waiting.keys()].sort((a, b) => a - b)) this.deliver(this.waiting.get(index)!);
    this.waiting.clear();
  }
}
