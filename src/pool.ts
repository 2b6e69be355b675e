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
