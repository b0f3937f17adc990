/**
 * Sessions end at the next midnight in the tenant's time zone. DST-safe: when
 * a zone skips midnight, the day starts at the first instant that exists.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function wallClock(instant: number, timeZone: string): number {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  const part = Object.fromEntries(format.formatToParts(instant).map((p) => [p.type, Number(p.value)]));
  // The wall-clock time of `instant`, written as if it were UTC.
  return Date.UTC(part.year!, part.month! - 1, part.day!, part.hour!, part.minute!, part.second!);
}

const DAY = 86_400_000;
const HOUR = 3_600_000;

/** The first instant strictly after `now` at which the local date in `timeZone` changes. */
export function nextMidnight(now: Date, timeZone: string): Date {
  const t0 = now.getTime() - (now.getTime() % 1000);
  const wall = wallClock(t0, timeZone);
  const target = wall - (((wall % DAY) + DAY) % DAY) + DAY; // next local 00:00, as if UTC
  // Solve instant + offset(instant) = target; two steps settle any offset change.
  let instant = target - (wall - t0);
  instant = target - (wallClock(instant, timeZone) - instant);
  if (wallClock(instant, timeZone) === target) return new Date(instant);
  // Midnight does not exist that day (DST starts at 00:00): find the first second on or after it.
  let low = instant - 3 * HOUR;
  let high = instant + 3 * HOUR;
  while (high - low > 1000) {
    const mid = low + Math.floor((high - low) / 2000) * 1000;
    if (wallClock(mid, timeZone) >= target) high = mid;
    else low = mid;
  }
  return new Date(high);
}
