import { addToDate, convertTimeZone, DateError, dateDifference, dayOfWeek } from '../../lambda/agent-actions/dates';

/**
 * The date functions of the agent's action group, called directly (the handler tests in
 * agent-actions-core.test.ts cover the envelope around them). Every expected value comes from the
 * calendar or from the published time-zone rules: US daylight saving time starts on the second
 * Sunday of March at 02:00 and ends on the first Sunday of November at 02:00 (2026: March 8 and
 * November 1); the EU's starts on the last Sunday of March at 01:00 UTC and ends on the last Sunday
 * of October (2026: March 29 and October 25); the US's of 1967 (Uniform Time Act) ended on the
 * last Sunday of October, the 29th; Brazil's of 2018 started at midnight on November 4; Lord Howe
 * Island moves its clocks by half an hour; Kathmandu is at +05:45 and St. John's at -03:30 in
 * winter; Paris kept its mean solar time, +00:09:21, until 1911, and New York its own, -04:56:02,
 * until 1883. A year has its weekday from known anchors (2000-01-01 a Saturday, 1969-07-20 a
 * Sunday, 1582-10-15, the first Gregorian day, a Friday).
 */
const refusal = (f: () => unknown): string => {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(DateError);
    return (error as Error).message;
  }
  throw new Error('expected a DateError');
};

const SKIPPED = 'the clocks skip it (daylight saving time starts, or the zone moved its clocks forward)';
const OUTSIDE = 'the result falls outside the years 1000-9999';
const FORMAT = 'must be a date like 2024-02-29 or a date-time like 2024-02-29T13:45 (optionally with Z or +01:00)';

describe('reading dates and times', () => {
  test.each([
    ['2024-02-29', '2024-02-29'],
    ['  2024-02-29  ', '2024-02-29'],
    ['2024-02-29T13:45', '2024-02-29T13:45:00'],
    ['2024-02-29 13:45', '2024-02-29T13:45:00'],
    ['2024-02-29T13:45:07', '2024-02-29T13:45:07'],
    ['2024-02-29T23:59:59', '2024-02-29T23:59:59'],
    ['2024-02-29T00:00', '2024-02-29T00:00:00'],
    ['2000-02-29', '2000-02-29'],
    ['2023-12-31', '2023-12-31'],
    ['2023-01-01', '2023-01-01'],
    ['1000-01-01', '1000-01-01'],
    ['9999-12-31', '9999-12-31'],
  ])('%j reads as %s', (text, shown) => {
    expect(dateDifference(text, text, 'UTC').start).toBe(shown);
  });

  test.each([
    ['tomorrow', `start ${FORMAT}`],
    ['', `start ${FORMAT}`],
    ['2024-2-29', `start ${FORMAT}`],
    ['x2024-02-29', `start ${FORMAT}`],
    ['2024-02-29x', `start ${FORMAT}`],
    ['2024-02-29T13', `start ${FORMAT}`],
    ['2024-02-29T13:45+0100', `start ${FORMAT}`],
    ['2024-02-29T13:45:07.5', `start ${FORMAT}`],
    ['0999-12-31', 'start must have a year between 1000 and 9999'],
    ['2024-00-10', 'start has no month 0'],
    ['2024-13-01', 'start has no month 13'],
    ['2023-02-29', 'start: 2023-02 has 28 days, not 29'],
    ['1900-02-29', 'start: 1900-02 has 28 days, not 29'],
    ['2100-02-29', 'start: 2100-02 has 28 days, not 29'],
    ['2024-02-30', 'start: 2024-02 has 29 days, not 30'],
    ['2024-04-31', 'start: 2024-04 has 30 days, not 31'],
    ['2024-01-00', 'start: 2024-01 has 31 days, not 0'],
    ['2024-12-32', 'start: 2024-12 has 31 days, not 32'],
    ['2024-01-01T24:00', 'start has an impossible time of day'],
    ['2024-01-01T12:60', 'start has an impossible time of day'],
    ['2024-01-01T12:00:60', 'start has an impossible time of day'],
    ['2024-01-01T12:00+19:00', 'start has an impossible UTC offset'],
    ['2024-01-01T12:00-05:60', 'start has an impossible UTC offset'],
  ])('%j is refused: %s', (text, message) => {
    expect(refusal(() => dateDifference(text, '2024-01-01', 'UTC'))).toBe(message);
  });

  test('every month has its length, February 29 days in leap years only', () => {
    const lengths = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    lengths.forEach((length, i) => {
      const month = String(i + 1).padStart(2, '0');
      expect(dayOfWeek(`2023-${month}-${length}`).date).toBe(`2023-${month}-${length}`);
      expect(refusal(() => dayOfWeek(`2023-${month}-${length + 1}`))).toBe(`date: 2023-${month} has ${length} days, not ${length + 1}`);
    });
  });

  test('a UTC offset or Z in the text places the reading, whatever the time zone', () => {
    expect(convertTimeZone('2026-06-01T09:00Z', 'America/New_York', 'UTC').utc).toBe('2026-06-01T09:00:00+00:00');
    expect(convertTimeZone('2026-06-01T09:00+02:00', 'America/New_York', 'UTC').utc).toBe('2026-06-01T07:00:00+00:00');
    expect(convertTimeZone('2026-06-01T09:00-02:30', 'America/New_York', 'UTC').utc).toBe('2026-06-01T11:30:00+00:00');
    expect(convertTimeZone('2026-06-01T09:00+18:00', 'UTC', 'UTC').utc).toBe('2026-05-31T15:00:00+00:00');
    expect(convertTimeZone('2026-06-01T09:00-05:59', 'UTC', 'UTC').utc).toBe('2026-06-01T14:59:00+00:00');
  });
});

describe('time zones', () => {
  test.each([
    ['UTC', 'UTC'],
    ['utc', 'UTC'],
    ['Europe/Paris', 'Europe/Paris'],
    ['US/Eastern', 'America/New_York'],
    ['America/Port-au-Prince', 'America/Port-au-Prince'],
    ['America/North_Dakota/New_Salem', 'America/North_Dakota/New_Salem'],
    ['Etc/GMT+5', 'Etc/GMT+5'],
    ['Etc/GMT-14', 'Etc/GMT-14'],
  ])('%s is the zone %s', (name, canonical) => {
    expect(dateDifference('2024-01-01', '2024-01-02', name).timeZone).toBe(canonical);
  });

  test.each([
    '',
    'Europe/Paris; rm',
    '../etc/passwd',
    '1Europe/Paris',
    'A'.repeat(21),
    `Europe/${'a'.repeat(21)}`,
    'A/B/C/D/E/F',
    'Europe//Paris',
    'Europe/Paris/',
  ])('%j is not a zone name', (name) => {
    expect(refusal(() => dateDifference('2024-01-01', '2024-01-02', name))).toBe('time_zone must be an IANA time zone such as Europe/Paris or UTC');
  });

  test.each(['Mars/Olympus', 'A'.repeat(20), `Europe/${'a'.repeat(20)}`, 'A/B/C/D/E', 'Etc/GMT+15'])('%j is looked up and unknown', (name) => {
    expect(refusal(() => dateDifference('2024-01-01', '2024-01-02', name))).toBe(`time_zone is not a known IANA time zone: ${JSON.stringify(name)}`);
  });
});

describe('date_difference', () => {
  test.each([
    ['2024-01-31', '2024-02-29', 29, { years: 0, months: 0, days: 29 }],
    ['2024-01-31', '2024-03-01', 30, { years: 0, months: 1, days: 1 }],
    ['2023-01-31', '2023-03-01', 29, { years: 0, months: 1, days: 1 }],
    ['2023-01-31', '2023-03-30', 58, { years: 0, months: 1, days: 30 }],
    ['2024-01-15', '2024-02-15', 31, { years: 0, months: 1, days: 0 }],
    ['2024-01-15', '2024-02-14', 30, { years: 0, months: 0, days: 30 }],
    ['2024-01-15', '2024-02-16', 32, { years: 0, months: 1, days: 1 }],
    ['2023-11-30', '2024-01-30', 61, { years: 0, months: 2, days: 0 }],
    ['2023-01-01', '2024-01-01', 365, { years: 1, months: 0, days: 0 }],
    ['2024-01-01', '2025-01-01', 366, { years: 1, months: 0, days: 0 }],
    ['2020-02-29', '2024-02-29', 1461, { years: 4, months: 0, days: 0 }],
    ['2020-02-29', '2024-02-28', 1460, { years: 3, months: 11, days: 30 }],
    ['2022-12-25', '2025-01-26', 763, { years: 2, months: 1, days: 1 }],
    ['2024-02-29', '2024-02-29', 0, { years: 0, months: 0, days: 0 }],
    ['1000-01-01', '9999-12-31', 3_287_181, { years: 8999, months: 11, days: 30 }],
  ])('%s to %s is %d days, %j', (start, end, days, calendar) => {
    expect(dateDifference(start, end, 'UTC')).toEqual({ start, end, timeZone: 'UTC', days, calendar });
    expect(dateDifference(end, start, 'UTC')).toEqual({ start: end, end: start, timeZone: 'UTC', days: days === 0 ? 0 : -days, calendar });
  });

  test('elapsed time is given when either side has a time of day, signed like the days', () => {
    expect(dateDifference('2024-01-15T18:00', '2024-01-16T06:30', 'UTC')).toEqual({
      start: '2024-01-15T18:00:00',
      end: '2024-01-16T06:30:00',
      timeZone: 'UTC',
      days: 1,
      calendar: { years: 0, months: 0, days: 1 },
      elapsed: { hours: 12, minutes: 30, totalMinutes: 750 },
    });
    expect(dateDifference('2024-01-16T06:30', '2024-01-15T18:00', 'UTC')).toMatchObject({
      days: -1,
      calendar: { years: 0, months: 0, days: 1 },
      elapsed: { hours: -12, minutes: -30, totalMinutes: -750 },
    });
    expect(dateDifference('2024-01-15', '2024-01-15T01:05', 'UTC').elapsed).toEqual({ hours: 1, minutes: 5, totalMinutes: 65 });
    expect(dateDifference('2024-01-15T22:59', '2024-01-16', 'UTC').elapsed).toEqual({ hours: 1, minutes: 1, totalMinutes: 61 });
    expect(dateDifference('2024-01-15T10:00', '2024-01-15T10:00:59', 'UTC').elapsed).toEqual({ hours: 0, minutes: 1, totalMinutes: 1 });
    expect(dateDifference('2024-01-15T10:00', '2024-01-15T10:00', 'UTC').elapsed).toEqual({ hours: 0, minutes: 0, totalMinutes: 0 });
    // As the action answers it (JSON): less than an hour back is 0 hours.
    expect(JSON.stringify(dateDifference('2024-01-15T10:00', '2024-01-15T09:59', 'UTC').elapsed)).toBe('{"hours":0,"minutes":-1,"totalMinutes":-1}');
    expect(dateDifference('2024-01-15T10:00', '2024-01-15T08:59', 'UTC').elapsed).toEqual({ hours: -1, minutes: -1, totalMinutes: -61 });
    expect(dateDifference('2024-01-15', '2024-01-15', 'UTC')).not.toHaveProperty('elapsed');
  });

  test('elapsed time counts the hour daylight saving time takes or gives back', () => {
    expect(dateDifference('2026-03-08T00:00', '2026-03-08T05:00', 'America/New_York').elapsed).toEqual({ hours: 4, minutes: 0, totalMinutes: 240 });
    expect(dateDifference('2026-11-01T00:00', '2026-11-01T05:00', 'America/New_York').elapsed).toEqual({ hours: 6, minutes: 0, totalMinutes: 360 });
    expect(dateDifference('2026-03-28T12:00', '2026-03-29T12:00', 'Europe/Paris')).toMatchObject({ days: 1, elapsed: { hours: 23, minutes: 0 } });
    expect(dateDifference('2026-10-04T00:00', '2026-10-04T12:00', 'Australia/Lord_Howe').elapsed).toEqual({ hours: 11, minutes: 30, totalMinutes: 690 });
  });

  test('a reading with an offset is counted on the wall clock of the time zone', () => {
    expect(dateDifference('2026-06-01T23:30Z', '2026-06-02T08:30', 'Asia/Tokyo')).toEqual({
      start: '2026-06-02T08:30:00',
      end: '2026-06-02T08:30:00',
      timeZone: 'Asia/Tokyo',
      days: 0,
      calendar: { years: 0, months: 0, days: 0 },
      elapsed: { hours: 0, minutes: 0, totalMinutes: 0 },
    });
    expect(dateDifference('2026-06-01', '2026-06-01T20:00-04:00', 'Asia/Tokyo')).toMatchObject({ end: '2026-06-02T09:00:00', days: 1 });
  });

  test('a reading the clocks skip is refused, naming the side; the zone is checked first, then start, then end', () => {
    expect(refusal(() => dateDifference('2026-03-08T02:30', '2026-03-09', 'America/New_York'))).toBe(
      `start 2026-03-08T02:30:00 does not exist in America/New_York: ${SKIPPED}`,
    );
    expect(refusal(() => dateDifference('2026-03-01', '2026-03-29T02:00', 'Europe/Paris'))).toBe(
      `end 2026-03-29T02:00:00 does not exist in Europe/Paris: ${SKIPPED}`,
    );
    // Samoa moved west of the date line: 2011-12-29 was followed by 2011-12-31 (no daylight saving involved).
    expect(refusal(() => dateDifference('2011-12-01', '2011-12-30T12:00', 'Pacific/Apia'))).toBe(
      `end 2011-12-30T12:00:00 does not exist in Pacific/Apia: ${SKIPPED}`,
    );
    expect(refusal(() => dateDifference('2018-11-03', '2018-11-04T00:30', 'America/Sao_Paulo'))).toBe(
      `end 2018-11-04T00:30:00 does not exist in America/Sao_Paulo: ${SKIPPED}`,
    );
    expect(refusal(() => dateDifference('bad', 'bad', 'Nowhere/Land'))).toBe('time_zone is not a known IANA time zone: "Nowhere/Land"');
    expect(refusal(() => dateDifference('bad', 'bad', 'UTC'))).toBe(`start ${FORMAT}`);
    expect(refusal(() => dateDifference('2024-01-01', 'bad', 'UTC'))).toBe(`end ${FORMAT}`);
  });

  test('the skipped day in a midnight transition still counts as a calendar date', () => {
    expect(dateDifference('2018-11-03', '2018-11-05', 'America/Sao_Paulo')).toMatchObject({ days: 2 });
  });

  test('a reading the clocks repeat is the first of the two', () => {
    expect(dateDifference('2026-11-01T01:30', '2026-11-01T03:00', 'America/New_York').elapsed).toEqual({ hours: 2, minutes: 30, totalMinutes: 150 });
    expect(dateDifference('2026-10-25T02:30', '2026-10-25T03:30', 'Europe/Paris').elapsed).toEqual({ hours: 2, minutes: 0, totalMinutes: 120 });
  });

  test('local mean time, whose offset has seconds, is a time like any other', () => {
    expect(dateDifference('1850-01-01T12:00', '1850-01-02', 'Europe/Paris')).toMatchObject({ days: 1, elapsed: { hours: 12, minutes: 0, totalMinutes: 720 } });
  });
});

describe('add_to_date', () => {
  test.each([
    ['2024-01-31', 1, 'months', '2024-02-29'],
    ['2023-01-31', 1, 'months', '2023-02-28'],
    ['2024-03-31', -1, 'months', '2024-02-29'],
    ['2024-05-31', 1, 'months', '2024-06-30'],
    ['2024-01-15', -1, 'months', '2023-12-15'],
    ['2024-12-15', 1, 'months', '2025-01-15'],
    ['2024-11-15', 1, 'months', '2024-12-15'],
    ['2024-01-15', 25, 'months', '2026-02-15'],
    ['2024-01-15', -25, 'months', '2021-12-15'],
    ['2024-02-29', 1, 'years', '2025-02-28'],
    ['2024-02-29', 4, 'years', '2028-02-29'],
    ['2024-02-29', -100, 'years', '1924-02-29'],
    ['2000-02-29', 100, 'years', '2100-02-28'],
    ['2024-01-01', 0, 'years', '2024-01-01'],
    ['2024-02-22', 1, 'weeks', '2024-02-29'],
    ['2024-03-07', -1, 'weeks', '2024-02-29'],
    ['2023-02-22', 1, 'weeks', '2023-03-01'],
    ['2024-02-28', 1, 'days', '2024-02-29'],
    ['2023-02-28', 1, 'days', '2023-03-01'],
    ['2024-12-31', 1, 'days', '2025-01-01'],
    ['2025-01-01', -1, 'days', '2024-12-31'],
    ['2024-01-01', 366, 'days', '2025-01-01'],
    ['2024-01-01', 1_000_000, 'days', '4761-11-28'],
    ['1000-01-01', 0, 'days', '1000-01-01'],
    ['9999-12-30', 1, 'days', '9999-12-31'],
    ['1000-01-02', -1, 'days', '1000-01-01'],
    ['9999-11-30', 1, 'months', '9999-12-30'],
    ['1000-02-28', -1, 'months', '1000-01-28'],
  ] as const)('%s plus %d %s is %s', (date, amount, unit, result) => {
    expect(addToDate(date, amount, unit, 'UTC')).toEqual({ result, timeZone: 'UTC' });
  });

  test.each([
    ['9999-12-31', 1, 'days', 'UTC'],
    ['1000-01-01', -1, 'days', 'UTC'],
    ['9999-12-01', 1, 'months', 'UTC'],
    ['1000-01-31', -1, 'months', 'UTC'],
    ['9999-01-01', 1, 'years', 'UTC'],
    ['1000-12-31', -1, 'years', 'UTC'],
    ['9999-12-31T23:00', 60, 'minutes', 'UTC'],
    ['1000-01-01T00:00', -1, 'minutes', 'UTC'],
    ['9999-12-31T23:00', 1, 'hours', 'UTC'],
    ['9999-12-31T23:00', 1, 'hours', 'Asia/Tokyo'],
    ['1000-01-01T01:00', -2, 'hours', 'America/New_York'],
    ['2024-01-01', -1_000_000, 'weeks', 'UTC'],
  ] as const)('%s plus %d %s falls outside the years in %s', (date, amount, unit, zone) => {
    expect(refusal(() => addToDate(date, amount, unit, zone))).toBe(OUTSIDE);
  });

  test('hours and minutes move real time and answer with the offset', () => {
    expect(addToDate('2024-01-01', 25, 'hours', 'UTC')).toEqual({ result: '2024-01-02T01:00:00+00:00', timeZone: 'UTC' });
    expect(addToDate('2024-01-01T00:30', -45, 'minutes', 'UTC').result).toBe('2023-12-31T23:45:00+00:00');
    expect(addToDate('9999-12-31T22:59', 60, 'minutes', 'UTC').result).toBe('9999-12-31T23:59:00+00:00');
    expect(addToDate('1000-01-01T01:00', -1, 'hours', 'UTC').result).toBe('1000-01-01T00:00:00+00:00');
    expect(addToDate('9999-12-31T22:00', 1, 'hours', 'Asia/Tokyo').result).toBe('9999-12-31T23:00:00+09:00');
    expect(addToDate('2026-03-08T01:30', 1, 'hours', 'America/New_York').result).toBe('2026-03-08T03:30:00-04:00');
    expect(addToDate('2026-11-01T01:30', 1, 'hours', 'America/New_York').result).toBe('2026-11-01T01:30:00-05:00');
    expect(addToDate('2026-11-01T01:30', 90, 'minutes', 'America/New_York').result).toBe('2026-11-01T02:00:00-05:00');
    expect(addToDate('2026-03-29T01:59', 1, 'minutes', 'Europe/Paris').result).toBe('2026-03-29T03:00:00+02:00');
    expect(addToDate('2026-06-01T09:00Z', 30, 'minutes', 'Asia/Kathmandu').result).toBe('2026-06-01T15:15:00+05:45');
    expect(addToDate('2026-01-15T12:00', -1, 'hours', 'America/St_Johns').result).toBe('2026-01-15T11:00:00-03:30');
  });

  test('calendar units move the wall clock: a day is a calendar day across daylight saving time', () => {
    expect(addToDate('2026-03-07T12:00', 1, 'days', 'America/New_York')).toEqual({ result: '2026-03-08T12:00:00-04:00', timeZone: 'America/New_York' });
    expect(addToDate('2026-10-31T12:00', 1, 'days', 'America/New_York').result).toBe('2026-11-01T12:00:00-05:00');
    expect(addToDate('2026-03-29T12:00', -1, 'weeks', 'Europe/Paris').result).toBe('2026-03-22T12:00:00+01:00');
    expect(addToDate('2026-01-31T08:15', 1, 'months', 'Europe/Paris').result).toBe('2026-02-28T08:15:00+01:00');
    expect(addToDate('2026-06-01T23:30Z', 1, 'days', 'Asia/Tokyo').result).toBe('2026-06-03T08:30:00+09:00');
    expect(addToDate('2026-06-01T23:30Z', 1, 'days', 'UTC').result).toBe('2026-06-02T23:30:00+00:00');
  });

  test('a computed reading the clocks skip moves forward by the gap; a repeated one is the first', () => {
    expect(addToDate('2026-03-07T02:30', 1, 'days', 'America/New_York').result).toBe('2026-03-08T03:30:00-04:00');
    expect(addToDate('2026-02-08T02:30', 1, 'months', 'America/New_York').result).toBe('2026-03-08T03:30:00-04:00');
    expect(addToDate('2026-03-22T02:15', 1, 'weeks', 'Europe/Paris').result).toBe('2026-03-29T03:15:00+02:00');
    expect(addToDate('2026-10-03T02:15', 1, 'days', 'Australia/Lord_Howe').result).toBe('2026-10-04T02:45:00+11:00');
    expect(addToDate('2026-10-31T01:30', 1, 'days', 'America/New_York').result).toBe('2026-11-01T01:30:00-04:00');
  });

  test('a given reading the clocks skip is refused, whatever the unit', () => {
    for (const unit of ['days', 'hours', 'years'] as const) {
      expect(refusal(() => addToDate('2026-03-08T02:30', 1, unit, 'America/New_York'))).toBe(
        `date 2026-03-08T02:30:00 does not exist in America/New_York: ${SKIPPED}`,
      );
    }
    expect(refusal(() => addToDate('2026-10-04T02:15', 1, 'days', 'Australia/Lord_Howe'))).toBe(
      `date 2026-10-04T02:15:00 does not exist in Australia/Lord_Howe: ${SKIPPED}`,
    );
  });

  test('a calendar date whose midnight the clocks skip is still a date', () => {
    expect(addToDate('2018-11-04', 1, 'days', 'America/Sao_Paulo').result).toBe('2018-11-05');
    expect(addToDate('2018-11-03', 1, 'days', 'America/Sao_Paulo').result).toBe('2018-11-04');
    expect(addToDate('2018-11-03T00:00', 1, 'days', 'America/Sao_Paulo').result).toBe('2018-11-04T01:00:00-02:00');
  });

  test('the zone is checked before the date', () => {
    expect(refusal(() => addToDate('bad', 1, 'days', 'Nowhere/Land'))).toBe('time_zone is not a known IANA time zone: "Nowhere/Land"');
    expect(refusal(() => addToDate('bad', 1, 'days', 'UTC'))).toBe(`date ${FORMAT}`);
  });

  test('local mean time, whose offset has seconds, is a time like any other', () => {
    expect(addToDate('1850-01-01T12:00', 1, 'days', 'Europe/Paris').result).toBe('1850-01-02T12:00:00+00:09:21');
    expect(addToDate('1850-01-01T12:00', 30, 'minutes', 'Europe/Paris').result).toBe('1850-01-01T12:30:00+00:09:21');
  });
});

describe('day_of_week', () => {
  test.each([
    ['2024-03-03', 'Sunday', 7, 63, true],
    ['2024-03-04', 'Monday', 1, 64, true],
    ['2024-03-05', 'Tuesday', 2, 65, true],
    ['2024-03-06', 'Wednesday', 3, 66, true],
    ['2024-03-07', 'Thursday', 4, 67, true],
    ['2024-03-08', 'Friday', 5, 68, true],
    ['2024-03-09', 'Saturday', 6, 69, true],
    ['2023-03-09', 'Thursday', 4, 68, false],
    ['2024-01-01', 'Monday', 1, 1, true],
    ['2024-12-31', 'Tuesday', 2, 366, true],
    ['2023-12-31', 'Sunday', 7, 365, false],
    ['2000-01-01', 'Saturday', 6, 1, true],
    ['1900-03-01', 'Thursday', 4, 60, false],
    ['2100-12-31', 'Friday', 5, 365, false],
    ['1969-07-20', 'Sunday', 7, 201, false],
    ['1582-10-15', 'Friday', 5, 288, false],
    ['9999-12-31', 'Friday', 5, 365, false],
  ])('%s is a %s', (date, name, isoWeekday, dayOfYear, leapYear) => {
    expect(dayOfWeek(date)).toEqual({ date, dayOfWeek: name, isoWeekday, dayOfYear, leapYear });
  });

  test('a date with a time, or no date, is refused', () => {
    expect(refusal(() => dayOfWeek('2024-02-29T10:00'))).toBe('date must be a calendar date like 2024-02-29, without a time');
    expect(refusal(() => dayOfWeek('2024-02-30'))).toBe('date: 2024-02 has 29 days, not 30');
  });
});

describe('convert_timezone', () => {
  test.each([
    ['2026-06-01T09:00', 'US/Eastern', 'Asia/Tokyo', '2026-06-01T09:00:00-04:00', '2026-06-01T22:00:00+09:00', '2026-06-01T13:00:00+00:00'],
    ['2026-01-15T09:00', 'America/New_York', 'Europe/Paris', '2026-01-15T09:00:00-05:00', '2026-01-15T15:00:00+01:00', '2026-01-15T14:00:00+00:00'],
    ['2026-06-01T12:00', 'UTC', 'Asia/Kathmandu', '2026-06-01T12:00:00+00:00', '2026-06-01T17:45:00+05:45', '2026-06-01T12:00:00+00:00'],
    ['2026-01-15T12:00', 'UTC', 'America/St_Johns', '2026-01-15T12:00:00+00:00', '2026-01-15T08:30:00-03:30', '2026-01-15T12:00:00+00:00'],
    ['2026-07-15T12:00', 'UTC', 'America/St_Johns', '2026-07-15T12:00:00+00:00', '2026-07-15T09:30:00-02:30', '2026-07-15T12:00:00+00:00'],
    ['2026-01-15T12:00', 'Pacific/Kiritimati', 'Pacific/Pago_Pago', '2026-01-15T12:00:00+14:00', '2026-01-14T11:00:00-11:00', '2026-01-14T22:00:00+00:00'],
    ['2026-01-15T09:00', 'Australia/Sydney', 'Australia/Lord_Howe', '2026-01-15T09:00:00+11:00', '2026-01-15T09:00:00+11:00', '2026-01-14T22:00:00+00:00'],
    ['2026-07-15T09:00', 'Australia/Sydney', 'Australia/Lord_Howe', '2026-07-15T09:00:00+10:00', '2026-07-15T09:30:00+10:30', '2026-07-14T23:00:00+00:00'],
    ['2026-11-01T01:30', 'America/New_York', 'UTC', '2026-11-01T01:30:00-04:00', '2026-11-01T05:30:00+00:00', '2026-11-01T05:30:00+00:00'],
    ['1967-10-29T01:30', 'America/New_York', 'UTC', '1967-10-29T01:30:00-04:00', '1967-10-29T05:30:00+00:00', '1967-10-29T05:30:00+00:00'],
    ['2026-10-25T02:30', 'Europe/Paris', 'UTC', '2026-10-25T02:30:00+02:00', '2026-10-25T00:30:00+00:00', '2026-10-25T00:30:00+00:00'],
    ['2026-04-05T02:30', 'Australia/Sydney', 'UTC', '2026-04-05T02:30:00+11:00', '2026-04-04T15:30:00+00:00', '2026-04-04T15:30:00+00:00'],
    ['2026-03-08T03:00', 'America/New_York', 'America/Los_Angeles', '2026-03-08T03:00:00-04:00', '2026-03-07T23:00:00-08:00', '2026-03-08T07:00:00+00:00'],
    ['1850-01-01T12:00', 'Europe/Paris', 'UTC', '1850-01-01T12:00:00+00:09:21', '1850-01-01T11:50:39+00:00', '1850-01-01T11:50:39+00:00'],
    ['1850-01-01T12:00', 'America/New_York', 'UTC', '1850-01-01T12:00:00-04:56:02', '1850-01-01T16:56:02+00:00', '1850-01-01T16:56:02+00:00'],
    ['1850-01-01T12:00', 'UTC', 'Europe/Paris', '1850-01-01T12:00:00+00:00', '1850-01-01T12:09:21+00:09:21', '1850-01-01T12:00:00+00:00'],
  ])('%s in %s is in %s', (dateTime, fromZone, toZone, from, to, utc) => {
    expect(convertTimeZone(dateTime, fromZone, toZone)).toEqual({ from, to, utc });
  });

  test('refusals name the field, zones first', () => {
    expect(refusal(() => convertTimeZone('bad', 'Nowhere/Land', 'Nowhere/Else'))).toBe('from_time_zone is not a known IANA time zone: "Nowhere/Land"');
    expect(refusal(() => convertTimeZone('bad', 'UTC', 'Nowhere/Else'))).toBe('to_time_zone is not a known IANA time zone: "Nowhere/Else"');
    expect(refusal(() => convertTimeZone('bad', 'UTC', 'UTC'))).toBe(`date_time ${FORMAT}`);
    expect(refusal(() => convertTimeZone('2026-06-01', 'UTC', 'UTC'))).toBe('date_time must have a time of day, like 2024-03-10T09:30');
    expect(refusal(() => convertTimeZone('2026-03-29T02:30', 'Europe/Paris', 'UTC'))).toBe(
      `date_time 2026-03-29T02:30:00 does not exist in Europe/Paris: ${SKIPPED}`,
    );
    expect(refusal(() => convertTimeZone('2026-03-08T02:00', 'America/New_York', 'UTC'))).toBe(
      `date_time 2026-03-08T02:00:00 does not exist in America/New_York: ${SKIPPED}`,
    );
    expect(refusal(() => convertTimeZone('2026-03-08T02:59:59', 'America/New_York', 'UTC'))).toBe(
      `date_time 2026-03-08T02:59:59 does not exist in America/New_York: ${SKIPPED}`,
    );
  });

  test('the edges of the clocks skipping exist', () => {
    expect(convertTimeZone('2026-03-08T01:59:59', 'America/New_York', 'UTC').utc).toBe('2026-03-08T06:59:59+00:00');
    expect(convertTimeZone('2026-03-08T03:00', 'America/New_York', 'UTC').utc).toBe('2026-03-08T07:00:00+00:00');
  });

  test('a reading outside the years 1000-9999 on the clock of any of the three zones is refused', () => {
    expect(refusal(() => convertTimeZone('9999-12-31T20:00', 'UTC', 'Asia/Tokyo'))).toBe(OUTSIDE);
    expect(convertTimeZone('9999-12-31T14:59', 'UTC', 'Asia/Tokyo').to).toBe('9999-12-31T23:59:00+09:00');
    expect(refusal(() => convertTimeZone('1000-01-01T08:00', 'Asia/Tokyo', 'Asia/Tokyo'))).toBe(OUTSIDE);
    expect(refusal(() => convertTimeZone('1000-01-01T00:30+01:00', 'UTC', 'UTC'))).toBe(OUTSIDE);
    expect(refusal(() => convertTimeZone('9999-12-31T23:30-01:00', 'UTC', 'UTC'))).toBe(OUTSIDE);
    expect(convertTimeZone('1000-01-01T00:30+00:30', 'UTC', 'UTC').utc).toBe('1000-01-01T00:00:00+00:00');
    expect(convertTimeZone('9999-12-31T23:59:59', 'UTC', 'UTC').utc).toBe('9999-12-31T23:59:59+00:00');
  });
});
