/**
 * Secrets in text: provider keys recognised by their prefix, JWTs, private key blocks, passwords in
 * URLs, and values after a keyword ("api_key: …", "password is …") that are passwords or look
 * random enough to be keys.
 */
import { indexesOf, matchAt, span, sticky, type Detector } from './pii-scan';
import type { PiiSpan } from './types';

/** The password in `scheme://user:password@host`. */
const URL_PASSWORD = /(?<=[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s:/@]{3,}(?=@)/g;
const URL_PASSWORD_AT = sticky(URL_PASSWORD);
const USER_INFO = /[^\s:/@]*/y;

/** Where URL_PASSWORD can start: after the ':' that ends the user name after a '://'. */
function urlPasswordStarts(text: string): number[] {
  const starts: number[] = [];
  for (const at of indexesOf(text, '://')) {
    USER_INFO.lastIndex = at + 3;
    const user = USER_INFO.exec(text)?.[0] ?? '';
    const colon = at + 3 + user.length;
    if (user.length > 0 && text[colon] === ':') starts.push(colon + 1);
  }
  return starts;
}

const SECRET_PATTERNS: RegExp[] = [
  /(?<![\w-])sk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}/g,
  /(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])/g,
  /(?<![A-Za-z0-9])gh[pousr]_[A-Za-z0-9]{30,}/g,
  /(?<![A-Za-z0-9])github_pat_[A-Za-z0-9_]{22,}/g,
  /(?<![A-Za-z0-9])xox[bpoas]-[A-Za-z0-9-]{10,}/g,
  /(?<![A-Za-z0-9])AIza[0-9A-Za-z_-]{35}/g,
  /(?<![A-Za-z0-9])(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,}/g,
  /(?<![A-Za-z0-9])pk_live_[0-9A-Za-z]{16,}/g,
  /(?<![\w-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g,
  URL_PASSWORD,
  /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----(?:[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|[A-Za-z0-9+/=\s]*)/g,
];

/** A keyword, then only a separator (`: `, `=`, `" : "`, ` is `, `Bearer `), then the value. */
const KEYWORD_VALUE =
  /(?<![A-Za-z])(api[_ -]?key|apikey|secret(?:[_-]?key)?|client[_-]?secret|access[_-]?(?:key|token)|auth[_-]?token|refresh[_-]?token|token|password|passwd|pwd|passphrase|authorization|bearer|credentials?|private[_-]?key)(?![A-Za-z_-])["'`]?[ \t]*(:=|=>|[:=]|\bis\b)?[ \t]*["'`]?(?:(?:Bearer|Basic|Token)[ \t]+)?((?:[^\s"'`,;&|<>()[\]{}]|&(?![\w-]+=)){6,512})/gi;
const PLACEHOLDER =
  /^(?:\*+|x+|\.+|<.*>|\$.*|%.*|\{\{.*|process\.env.*|os\.environ.*|null|none|undefined|redacted|hidden|required|optional|string|true|false|\[.*\])$/i;

function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) bits -= (n / s.length) * Math.log2(n / s.length);
  return bits;
}

function characterClasses(s: string): number {
  return [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((re) => re.test(s)).length;
}

/**
 * What every pattern above needs somewhere in the text (a prefix, `://`, a key block or a
 * keyword), tested once: most strings have none (a log line's ids and names), and the patterns
 * cost ~5 µs a string even when they find nothing.
 */
const ANY_SECRET_CUE =
  /sk-|akia|asia|gh[pousr]_|github_pat_|xox|aiza|[sr]k_|pk_live|eyj|:\/\/|-----begin|api|secret|key|token|pass|pwd|auth|bearer|credential/i;

export const detectSecrets: Detector = (text) => {
  const spans: PiiSpan[] = [];
  if (!ANY_SECRET_CUE.test(text)) return spans;
  for (const re of SECRET_PATTERNS) {
    const found =
      re === URL_PASSWORD
        ? matchAt(URL_PASSWORD_AT, text, urlPasswordStarts(text))
        : text.matchAll(re);
    for (const m of found) {
      const value = m[0].replace(/\s+$/, '');
      spans.push(span('secret', text, m.index, m.index + value.length, 0.95));
    }
  }
  for (const m of text.matchAll(KEYWORD_VALUE)) {
    const start = m.index + m[0].length - m[3]!.length;
    // A quoted value is taken whole; a bare one loses the sentence's closing punctuation.
    const quoted = /["'`]/.test(text[m.index + m[0].length] ?? '');
    const value = quoted ? m[3]! : m[3]!.replace(/[.,:;?]+$/, '');
    if (PLACEHOLDER.test(value) || /^https?:/i.test(value)) continue;
    const password = /^(?:password|passwd|pwd|passphrase)$/i.test(m[1]!);
    if (password && m[2] && value.length >= 6) {
      spans.push(span('secret', text, start, start + value.length, 0.8));
    } else if (value.length >= 20 && entropy(value) >= 3.5 && characterClasses(value) >= 2) {
      spans.push(span('secret', text, start, start + value.length, 0.75));
    }
  }
  return spans;
};
