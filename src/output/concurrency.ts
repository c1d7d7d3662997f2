/**
 * Runs `fn` over `items` with at most `limit` calls in flight and returns the
 * results in the order of `items`. Reading or writing thousands of small files one
 * after another leaves the disk and the libuv thread pool idle between calls.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Concurrent file operations; libuv runs 4 at a time by default, more keep its queue full. */
export const FILE_CONCURRENCY = 16;
