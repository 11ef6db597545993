import { scheduleIntervalSeconds, ScheduleExpressionError } from '../../lib/schedule-interval';

const H = 3600;

describe('scheduleIntervalSeconds: the longest time between runs', () => {
  it.each([
    ['rate(1 minute)', 60],
    ['rate(5 minutes)', 300],
    ['rate(1 hour)', H],
    ['rate(2 days)', 48 * H],
  ])('%s → %i s', (expression, seconds) => {
    expect(scheduleIntervalSeconds(expression)).toBe(seconds);
  });

  it.each([
    ['every hour', 'cron(0 * * * ? *)', H],
    ['every 15 minutes', 'cron(0/15 * * * ? *)', 900],
    ['four times a day, uneven: 09:00 to 20:00', 'cron(0 1,7,9,20 * * ? *)', 11 * H],
    ['every 4 hours from 00:15', 'cron(15 0/4 * * ? *)', 4 * H],
    ['hourly 8-18 on weekdays: the weekend is the gap', 'cron(0 8-18 ? * MON-FRI *)', (24 + 24 + 24 - 18 + 8) * H],
    ['daily', 'cron(30 3 * * ? *)', 24 * H],
    ['weekly by name', 'cron(0 12 ? * WED *)', 7 * 24 * H],
    ['monthly on the 1st: the 31-day months', 'cron(0 0 1 * ? *)', 31 * 24 * H],
    ['last day of the month', 'cron(0 0 L * ? *)', 31 * 24 * H],
    ['first Monday of the month', 'cron(0 0 ? * 2#1 *)', 35 * 24 * H],
    ['quarterly by month names', 'cron(0 0 1 JAN,APR,JUL,OCT ? *)', 92 * 24 * H],
  ])('cron %s', (_label, expression, seconds) => {
    expect(scheduleIntervalSeconds(expression)).toBe(seconds);
  });

  it('nearest weekday (W) never leaves the month: gaps stay within a few days of a month', () => {
    const gap = scheduleIntervalSeconds('cron(0 0 1W * ? *)');
    expect(gap).toBeGreaterThanOrEqual(28 * 24 * H);
    expect(gap).toBeLessThanOrEqual(33 * 24 * H);
  });

  it.each([
    ['not an expression', 'every hour'],
    ['five fields', 'cron(0 * * * *)'],
    ['both day fields set', 'cron(0 0 1 * MON *)'],
    ['neither day field ?', 'cron(0 0 ? * ? *)'],
    ['minute out of range', 'cron(60 * * * ? *)'],
    ['bad step', 'cron(0/0 * * * ? *)'],
    ['backwards range', 'cron(0 18-8 * * ? *)'],
    ['runs once only (a past year)', 'cron(0 0 1 1 ? 2020)'],
    ['zero rate', 'rate(0 hours)'],
    ['a plural unit for 1', 'rate(1 hours)'],
    ['a singular unit above 1', 'rate(5 hour)'],
    ['a leading zero', 'rate(05 minutes)'],
  ])('refuses %s', (_label, expression) => {
    expect(() => scheduleIntervalSeconds(expression)).toThrow(ScheduleExpressionError);
  });
});
