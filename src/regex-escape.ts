// A value inside a regex matches itself: its special characters (and `/`, which ends a
// script's regex literal) are escaped. One function for the compiler, the runtime, import
// and serve.
export function escapeRegex(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
