/**
 * The longest time between two runs of an EventBridge Scheduler expression: `rate(N unit)`, or
 * `cron(minutes hours day-of-month month day-of-week year)` evaluated in UTC. The delegation alarm
 * needs it: the refresher reports once per run, so the alarm's period must hold a run.
 *
 * Cron support follows EventBridge: `*`, `?`, lists, ranges, `/` steps, month and day names,
 * `L` (last day of month; `nL` last weekday n), `nW` (nearest weekday to day n, same month) and
 * `n#k` (k-th weekday n). Day-of-week is 1-7 = SUN-SAT. A cron is evaluated over two years from a
 * fixed start, so any monthly or weekly pattern shows its longest gap.
 */
import { RATE_EXPRESSION } from '../functions/commons/config';

export class ScheduleExpressionError extends Error {
  readonly code = 'SCHEDULE_INVALID';
  constructor(expression: string, why: string) {
    super(`schedule '${expression}': ${why}`);
    this.name = 'ScheduleExpressionError';
  }
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
/** Evaluation window: two years from a Monday, 1 January 2029 (UTC). */
const WINDOW_START = Date.UTC(2029, 0, 1);
const WINDOW_DAYS = 731;

/** Seconds between runs: the rate, or the longest gap of a cron. */
export function scheduleIntervalSeconds(expression: string): number {
  if (/^rate\(/.test(expression)) {
    const rate = RATE_EXPRESSION.exec(expression);
    if (!rate)
      throw new ScheduleExpressionError(
        expression,
        "expected 'rate(1 minute|hour|day)' or 'rate(N minutes|hours|days)' with N > 1 (a singular unit for 1, a plural one above)",
      );
    const n = Number(rate[1] ?? rate[3]);
    const unit = rate[2] ?? rate[4];
    return n * (unit.startsWith('minute') ? 60 : unit.startsWith('hour') ? 3600 : 86_400);
  }
  const cron = /^cron\((.+)\)$/.exec(expression);
  if (!cron) throw new ScheduleExpressionError(expression, "expected 'rate(N minutes|hours|days)' or 'cron(...)'");
  return longestCronGapSeconds(expression, cron[1].trim().split(/\s+/));
}

function longestCronGapSeconds(expression: string, fields: string[]): number {
  if (fields.length !== 6) throw new ScheduleExpressionError(expression, 'a cron has 6 fields: minutes hours day-of-month month day-of-week year');
  const [minF, hourF, domF, monF, dowF, yearF] = fields;
  if ((domF === '?') === (dowF === '?')) throw new ScheduleExpressionError(expression, "exactly one of day-of-month and day-of-week must be '?'");
  const minutes = expandList(expression, minF, 0, 59);
  const hours = expandList(expression, hourF, 0, 23);
  const months = expandList(expression, monF, 1, 12, MONTHS, 1);
  const years = yearF === '*' ? undefined : expandList(expression, yearF, 1970, 2199);
  const dayMatches = domF === '?' ? dayOfWeekMatcher(expression, dowF) : dayOfMonthMatcher(expression, domF);

  const dayMinutes: number[] = [];
  for (const h of hours) for (const m of minutes) dayMinutes.push(h * 60 + m);
  dayMinutes.sort((a, b) => a - b);

  let previous: number | undefined;
  let longest = 0;
  for (let d = 0; d < WINDOW_DAYS; d++) {
    const day = new Date(WINDOW_START + d * 86_400_000);
    if (!months.has(day.getUTCMonth() + 1)) continue;
    if (years && !years.has(day.getUTCFullYear())) continue;
    if (!dayMatches(day)) continue;
    for (const minute of dayMinutes) {
      const t = day.getTime() / 60_000 + minute;
      if (previous !== undefined) longest = Math.max(longest, t - previous);
      previous = t;
    }
  }
  if (previous === undefined || longest === 0) throw new ScheduleExpressionError(expression, 'it runs fewer than twice in two years');
  return longest * 60;
}

/** A field of numbers (or names) with lists, ranges and steps. */
function expandList(expression: string, field: string, min: number, max: number, names?: string[], nameBase = 0): Set<number> {
  const out = new Set<number>();
  const value = (token: string): number => {
    const byName = names?.indexOf(token.toUpperCase()) ?? -1;
    const n = byName >= 0 ? byName + nameBase : Number(token);
    if (!Number.isInteger(n) || n < min || n > max) throw new ScheduleExpressionError(expression, `'${token}' is not in ${min}-${max}`);
    return n;
  };
  for (const part of field.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new ScheduleExpressionError(expression, `bad step in '${part}'`);
    let from: number;
    let to: number;
    if (range === '*') [from, to] = [min, max];
    else if (range.includes('-')) [from, to] = range.split('-').map(value) as [number, number];
    else [from, to] = [value(range), stepText === undefined ? value(range) : max];
    if (from > to) throw new ScheduleExpressionError(expression, `range '${range}' runs backwards`);
    for (let n = from; n <= to; n += step) out.add(n);
  }
  return out;
}

function daysInMonth(day: Date): number {
  return new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth() + 1, 0)).getUTCDate();
}

function dayOfMonthMatcher(expression: string, field: string): (day: Date) => boolean {
  if (field === 'L') return (day) => day.getUTCDate() === daysInMonth(day);
  const weekday = /^(\d{1,2})W$/.exec(field);
  if (weekday) {
    const target = Number(weekday[1]);
    if (target < 1 || target > 31) throw new ScheduleExpressionError(expression, `'${field}' is not a day of the month`);
    return (day) => nearestWeekday(day, target) === day.getUTCDate();
  }
  const days = field === '*' ? undefined : expandList(expression, field, 1, 31);
  return (day) => days === undefined || days.has(day.getUTCDate());
}

/** The weekday of this month nearest to day `target` (never crossing into another month). */
function nearestWeekday(day: Date, target: number): number {
  const last = daysInMonth(day);
  const d = Math.min(target, last);
  const dow = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), d)).getUTCDay();
  if (dow === 6) return d === 1 ? 3 : d - 1; // Saturday: Friday before, or Monday after on the 1st
  if (dow === 0) return d === last ? d - 2 : d + 1; // Sunday: Monday after, or Friday before on the last day
  return d;
}

function dayOfWeekMatcher(expression: string, field: string): (day: Date) => boolean {
  const nth = /^([1-7A-Za-z]{1,3})#([1-5])$/.exec(field);
  if (nth) {
    const dow = expandList(expression, nth[1], 1, 7, DAYS, 1).values().next().value as number;
    const k = Number(nth[2]);
    return (day) => day.getUTCDay() + 1 === dow && Math.ceil(day.getUTCDate() / 7) === k;
  }
  const last = /^([1-7A-Za-z]{1,3})L$/.exec(field);
  if (last) {
    const dow = expandList(expression, last[1], 1, 7, DAYS, 1).values().next().value as number;
    return (day) => day.getUTCDay() + 1 === dow && day.getUTCDate() + 7 > daysInMonth(day);
  }
  const days = field === '*' ? undefined : expandList(expression, field, 1, 7, DAYS, 1);
  return (day) => days === undefined || days.has(day.getUTCDay() + 1);
}
