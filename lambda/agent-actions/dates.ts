/**
 * Calendar and clock arithmetic in IANA time zones, the other thing language models get wrong:
 * month lengths, leap years, weekdays and daylight-saving transitions. Built on Intl (the tz
 * database of the runtime); no date library.
 */

/** A date or time the caller cannot have meant: the message says what is wrong. */
export class DateError extends Error {}

export const MIN_YEAR = 1000;
export const MAX_YEAR = 9999;
const MINUTE = 60_000;
const DAY = 86_400_000;
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;

/** A wall-clock reading; `offsetMinutes` when the text carried `Z` or `±HH:MM`. */
export interface LocalDateTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly hasTime: boolean;
  readonly offsetMinutes?: number;
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?(Z|[+-]\d{2}:\d{2})?)?$/;

/** Reads `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS]`, optionally with `Z` or `±HH:MM`. */
export function parseDateTime(text: string, field: string): LocalDateTime {
  const m = DATE_TIME.exec(text.trim());
  if (!m) throw new DateError(`${field} must be a date like 2024-02-29 or a date-time like 2024-02-29T13:45 (optionally with Z or +01:00)`);
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [hour, minute, second] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  if (year < MIN_YEAR || year > MAX_YEAR) throw new DateError(`${field} must have a year between ${MIN_YEAR} and ${MAX_YEAR}`);
  if (month < 1 || month > 12) throw new DateError(`${field} has no month ${month}`);
  if (day < 1 || day > daysInMonth(year, month)) throw new DateError(`${field}: ${year}-${pad(month)} has ${daysInMonth(year, month)} days, not ${day}`);
  if (hour > 23 || minute > 59 || second > 59) throw new DateError(`${field} has an impossible time of day`);
  let offsetMinutes: number | undefined;
  if (m[7] === 'Z') offsetMinutes = 0;
  else if (m[7]) {
    const [oh, om] = m[7].slice(1).split(':').map(Number);
    if (oh > 18 || om > 59) throw new DateError(`${field} has an impossible UTC offset`);
    offsetMinutes = (m[7][0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  return { year, month, day, hour, minute, second, hasTime: m[4] !== undefined, offsetMinutes };
}

/** The canonical name of an IANA time zone (`US/Eastern` → `America/New_York`), or a DateError. */
export function timeZone(name: string, field: string): string {
  if (!/^[A-Za-z]{1,20}(?:[/_+-][A-Za-z0-9]{1,20}){0,4}$/.test(name)) throw new DateError(`${field} must be an IANA time zone such as Europe/Paris or UTC`);
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    throw new DateError(`${field} is not a known IANA time zone: ${JSON.stringify(name)}`);
  }
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  return [31, isLeapYear(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

/** Milliseconds of a wall-clock reading taken as UTC (valid for every year, unlike Date.UTC below 100). */
function wallMs(t: Pick<LocalDateTime, 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second'>): number {
  const d = new Date(0);
  d.setUTCFullYear(t.year, t.month - 1, t.day);
  d.setUTCHours(t.hour, t.minute, t.second, 0);
  return d.getTime();
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall clock of `zone` at `instant`. */
function wallClock(instant: number, zone: string): LocalDateTime {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(new Date(instant)).map((p) => [p.type, p.value]));
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
    hasTime: true,
  };
}

/**
 * UTC offset of `zone` at `instant`, in milliseconds (whole seconds): before standard time, zones kept local mean
 * time, whose offsets have seconds (Europe/Paris +00:09:21 until 1911), so rounding to minutes would miss every reading.
 */
function offsetAt(instant: number, zone: string): number {
  return wallMs(wallClock(instant, zone)) - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant a wall-clock reading denotes in `zone`. A reading inside a spring-forward gap does
 * not exist: an error for a reading the caller gave, or, for a computed one (`shiftGap`), the
 * reading moved forward by the gap, as Temporal's `compatible` does. A reading inside a fall-back
 * overlap happens twice: the earlier is taken.
 */
export function toInstant(t: LocalDateTime, zone: string, field: string, shiftGap = false): number {
  const wall = wallMs(t);
  if (t.offsetMinutes !== undefined) return wall - t.offsetMinutes * MINUTE;
  // At most one transition happens within a day either side, so the offsets a day before and a
  // day after are the only candidates.
  const candidates = [...new Set([offsetAt(wall - DAY, zone), offsetAt(wall + DAY, zone)])]
    .map((offset) => wall - offset)
    .filter((instant) => wallMs(wallClock(instant, zone)) === wall)
    .sort((a, b) => a - b);
  if (candidates.length === 0 && shiftGap) return wall - offsetAt(wall - DAY, zone);
  if (candidates.length === 0)
    throw new DateError(
      `${field} ${format(t)} does not exist in ${zone}: the clocks skip it (daylight saving time starts, or the zone moved its clocks forward)`,
    );
  return candidates[0];
}

/** `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS`. */
export function format(t: Pick<LocalDateTime, 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second' | 'hasTime'>): string {
  const date = `${t.year}-${pad(t.month)}-${pad(t.day)}`;
  return t.hasTime ? `${date}T${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}` : date;
}

/** `instant` as the wall clock of `zone` with its offset: `2024-03-10T03:30:00-04:00` (`+00:09:21` for an offset with seconds). */
export function formatInZone(instant: number, zone: string): string {
  // The limits hold for the reading shown, on the zone's own clock (9999-12-31T20:00Z is 10000-01-01 in Tokyo).
  const wall = wallClock(instant, zone);
  checkYear(wall.year);
  const offset = offsetAt(instant, zone) / 1000;
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  const seconds = abs % 60;
  return `${format(wall)}${sign}${pad(Math.floor(abs / 3600))}:${pad(Math.floor(abs / 60) % 60)}${seconds === 0 ? '' : `:${pad(seconds)}`}`;
}

const pad = (n: number) => String(n).padStart(2, '0');

function checkYear(year: number): void {
  if (!(year >= MIN_YEAR && year <= MAX_YEAR)) throw new DateError(`the result falls outside the years ${MIN_YEAR}-${MAX_YEAR}`);
}

/** Whole days between two calendar dates (negative when `end` is earlier). */
function dayNumber(t: Pick<LocalDateTime, 'year' | 'month' | 'day'>): number {
  return Math.round(wallMs({ ...t, hour: 0, minute: 0, second: 0 }) / DAY);
}

/** Years, months and days from `a` to `b` (a ≤ b), counting months on the calendar (Jan 31 → Feb 29 is 29 days). */
function calendarSpan(a: LocalDateTime, b: LocalDateTime): { years: number; months: number; days: number } {
  let months = (b.year - a.year) * 12 + (b.month - a.month);
  if (b.day < a.day) months -= 1;
  const anchor = addMonths(a, months);
  return { years: Math.floor(months / 12), months: months % 12, days: dayNumber(b) - dayNumber(anchor) };
}

/** `t` moved by whole months; the day is clamped to the month's length (Jan 31 + 1 month = Feb 28 or 29). */
function addMonths(t: LocalDateTime, months: number): LocalDateTime {
  const index = t.year * 12 + (t.month - 1) + months;
  const year = Math.floor(index / 12);
  const month = (index % 12) + 1;
  if (year < MIN_YEAR || year > MAX_YEAR) throw new DateError(`the result falls outside the years ${MIN_YEAR}-${MAX_YEAR}`);
  return { ...t, year, month, day: Math.min(t.day, daysInMonth(year, month)) };
}

export interface DateDifference {
  readonly start: string;
  readonly end: string;
  readonly timeZone: string;
  /** Calendar days between the two local dates. */
  readonly days: number;
  /** Years, months and days between the two local dates (of the absolute span). */
  readonly calendar: { readonly years: number; readonly months: number; readonly days: number };
  /** Elapsed time when either side has a time of day: real minutes, daylight saving included. */
  readonly elapsed?: { readonly hours: number; readonly minutes: number; readonly totalMinutes: number };
}

export function dateDifference(startText: string, endText: string, zoneName: string): DateDifference {
  const zone = timeZone(zoneName, 'time_zone');
  const start = parseDateTime(startText, 'start');
  const end = parseDateTime(endText, 'end');
  const [startLocal, endLocal] = [localIn(start, zone, 'start'), localIn(end, zone, 'end')];
  const forward = dayNumber(endLocal) >= dayNumber(startLocal);
  const calendar = forward ? calendarSpan(startLocal, endLocal) : calendarSpan(endLocal, startLocal);
  const result = { start: format(startLocal), end: format(endLocal), timeZone: zone, days: dayNumber(endLocal) - dayNumber(startLocal), calendar };
  if (!start.hasTime && !end.hasTime) return result;
  const totalMinutes = Math.round((toInstant(end, zone, 'end') - toInstant(start, zone, 'start')) / MINUTE);
  const sign = totalMinutes < 0 ? -1 : 1;
  const abs = Math.abs(totalMinutes);
  return { ...result, elapsed: { hours: sign * Math.floor(abs / 60), minutes: sign * (abs % 60), totalMinutes } };
}

/** The reading on `zone`'s wall clock: as given, or converted when the text carried an offset. */
function localIn(t: LocalDateTime, zone: string, field: string): LocalDateTime {
  if (t.offsetMinutes === undefined) return t;
  return { ...wallClock(toInstant(t, zone, field), zone), hasTime: true };
}

export const ADD_UNITS = ['years', 'months', 'weeks', 'days', 'hours', 'minutes'] as const;
export type AddUnit = (typeof ADD_UNITS)[number];
export const MAX_ADD_AMOUNT = 1_000_000;

/**
 * `date` plus `amount` units. Calendar units move the wall clock (a day is a calendar day, even
 * across a daylight-saving change); hours and minutes move real time and answer with the offset.
 */
export function addToDate(dateText: string, amount: number, unit: AddUnit, zoneName: string): { result: string; timeZone: string } {
  const zone = timeZone(zoneName, 'time_zone');
  const t = parseDateTime(dateText, 'date');
  if (unit === 'hours' || unit === 'minutes') {
    const instant = toInstant(t, zone, 'date') + amount * (unit === 'hours' ? 60 : 1) * MINUTE;
    return { result: formatInZone(instant, zone), timeZone: zone };
  }
  // A wall-clock reading the clocks skip is refused here as everywhere else.
  if (t.hasTime) toInstant(t, zone, 'date');
  const local = localIn(t, zone, 'date');
  const moved =
    unit === 'years' || unit === 'months' ? addMonths(local, amount * (unit === 'years' ? 12 : 1)) : addDays(local, amount * (unit === 'weeks' ? 7 : 1));
  if (!moved.hasTime) return { result: format(moved), timeZone: zone };
  return { result: formatInZone(toInstant({ ...moved, offsetMinutes: undefined }, zone, 'result', true), zone), timeZone: zone };
}

function addDays(t: LocalDateTime, days: number): LocalDateTime {
  const d = new Date(wallMs({ ...t, hour: 0, minute: 0, second: 0 }) + days * DAY);
  const year = d.getUTCFullYear();
  if (year < MIN_YEAR || year > MAX_YEAR) throw new DateError(`the result falls outside the years ${MIN_YEAR}-${MAX_YEAR}`);
  return { ...t, year, month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

export function dayOfWeek(dateText: string): { date: string; dayOfWeek: string; isoWeekday: number; dayOfYear: number; leapYear: boolean } {
  const t = parseDateTime(dateText, 'date');
  if (t.hasTime) throw new DateError('date must be a calendar date like 2024-02-29, without a time');
  const weekday = new Date(wallMs({ ...t, hour: 0, minute: 0, second: 0 })).getUTCDay();
  return {
    date: format(t),
    dayOfWeek: WEEKDAYS[weekday],
    isoWeekday: weekday === 0 ? 7 : weekday,
    dayOfYear: dayNumber(t) - dayNumber({ year: t.year, month: 1, day: 1 }) + 1,
    leapYear: isLeapYear(t.year),
  };
}

export function convertTimeZone(dateTimeText: string, fromZoneName: string, toZoneName: string): { from: string; to: string; utc: string } {
  const from = timeZone(fromZoneName, 'from_time_zone');
  const to = timeZone(toZoneName, 'to_time_zone');
  const t = parseDateTime(dateTimeText, 'date_time');
  if (!t.hasTime) throw new DateError('date_time must have a time of day, like 2024-03-10T09:30');
  const instant = toInstant(t, from, 'date_time');
  return { from: formatInZone(instant, from), to: formatInZone(instant, to), utc: formatInZone(instant, 'UTC') };
}
