// Times in words ("in 23 hours", "3 minutes ago") and dates as people read them.

const units = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];
const words = new Intl.RelativeTimeFormat('en', { numeric: 'always' });

// `seconds` from now (negative: in the past) in words. Rounds toward zero, so a token that
// expires in 23 h 59 min is said to expire "in 23 hours", never later than it does.
export function fromNow(seconds) {
  const abs = Math.abs(seconds);
  for (const [unit, size] of units) {
    if (abs >= size) {
      return words.format(Math.trunc(seconds / size), unit);
    }
  }
  return 'now';
}

// A NumericDate (seconds since the epoch) in words, relative to now.
export function epochInWords(epochSeconds, nowMs = Date.now()) {
  return fromNow(epochSeconds - Math.floor(nowMs / 1000));
}

// An ISO date from the API as local time with its distance from now; '—' when absent.
export function dateText(iso) {
  if (!iso) {
    return '—';
  }
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return String(iso);
  }
  return `${date.toLocaleString()} (${fromNow(Math.round((date.getTime() - Date.now()) / 1000))})`;
}
