/** API token lifetimes: a day, or calendar months in UTC with the day clamped to the month's end. */
export const expiryChoices = ['24h', '1mo', '3mo', '6mo', '1y'] as const;
export type ExpiryChoice = (typeof expiryChoices)[number];

const months: Record<Exclude<ExpiryChoice, '24h'>, number> = { '1mo': 1, '3mo': 3, '6mo': 6, '1y': 12 };

/** `from` plus whole calendar months: Jan 31 + 1 month is Feb 28 (or 29), same time of day. */
export function addCalendarMonths(from: Date, count: number): Date {
  const year = from.getUTCFullYear();
  const month = from.getUTCMonth() + count;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return new Date(
    Date.UTC(
      year,
      month,
      Math.min(from.getUTCDate(), lastDay),
      from.getUTCHours(),
      from.getUTCMinutes(),
      from.getUTCSeconds(),
      from.getUTCMilliseconds(),
    ),
  );
}

export function expiryOf(choice: ExpiryChoice, from: Date): Date {
  return choice === '24h' ? new Date(from.getTime() + 24 * 3600 * 1000) : addCalendarMonths(from, months[choice]);
}
